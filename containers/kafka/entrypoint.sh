#!/bin/bash
# Writes server.properties (as devstack.kafka.node_properties, one node), formats the log dir on the
# first start only (CLUSTER_ID), then runs the broker in the foreground.
#
# Secured by default, as devstack.kafka.security_properties: SASL/SCRAM-SHA-512 for clients and the
# broker itself, SASL/PLAIN on the controller listener, StandardAuthorizer ACLs, admin and broker super
# users. The SCRAM users are created when the log dir is formatted, each with KAFKA_<NAME>_PASSWORD
# (KAFKA_BROKER_PASSWORD, KAFKA_ADMIN_PASSWORD, KAFKA_CART_PASSWORD, ..., KAFKA_INTEGRATOR_PASSWORD;
# a missing one falls back to its public development password: set them all outside a laptop).
# The ACLs are applied once the broker runs: `python -m devstack.kafka_acls --bootstrap ...` (the
# compose file's kafka-acls job). KAFKA_SECURITY_PROTOCOL=PLAINTEXT starts it without any of this.
# It listens on KAFKA_LISTEN_HOST (127.0.0.1: the host-network containers/compose.yml) and tells
# clients KAFKA_ADVERTISED_HOST (127.0.0.1; `kafka` in docker-compose.yml's bridge network).
set -euo pipefail
listen=${KAFKA_LISTEN_HOST:-127.0.0.1}
advertised=${KAFKA_ADVERTISED_HOST:-127.0.0.1}
data=/var/lib/kafka/data
cp=/opt/kafka/libs/*
cat >/etc/kafka/log4j2.properties <<'LOG'
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
LOG
cat >/etc/kafka/server.properties <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}
log.dirs=${data}
num.partitions=${KAFKA_TOPIC_PARTITIONS:-3}
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=4
log.cleaner.threads=1
PROPS
principals=(cart order payment inventory fulfillment integrator admin broker)
password() {  # the principal's password: KAFKA_<NAME>_PASSWORD, else its development one
    local variable="KAFKA_${1^^}_PASSWORD"
    printf '%s' "${!variable:-$1-dev-only-kafka-password}"
}
scram=()
if [[ ${KAFKA_SECURITY_PROTOCOL:-SASL_PLAINTEXT} == PLAINTEXT ]]; then
    cat >>/etc/kafka/server.properties <<PROPS
listeners=PLAINTEXT://${listen}:${KAFKA_PORT},CONTROLLER://${listen}:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://${advertised}:${KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
PROPS
else
    broker=$(password broker)
    cat >>/etc/kafka/server.properties <<PROPS
listeners=SASL_PLAINTEXT://${listen}:${KAFKA_PORT},CONTROLLER://${listen}:${KAFKA_CONTROLLER_PORT}
advertised.listeners=SASL_PLAINTEXT://${advertised}:${KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_PLAINTEXT
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="${broker}";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="${broker}" user_broker="${broker}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:broker
allow.everyone.if.no.acl.found=false
PROPS
    for principal in "${principals[@]}"; do
        scram+=(--add-scram "SCRAM-SHA-512=[name=${principal},password=$(password "$principal")]")
    done
fi
log4j="-Dlog4j2.configurationFile=/etc/kafka/log4j2.properties"
if [[ ! -f $data/meta.properties ]]; then
    # The id glued to its flag: one base64url id in 64 begins with "-", which as a separate
    # argument the tool would read as an option (and never format).
    java -Xmx256m -XX:TieredStopAtLevel=1 "$log4j" -cp "$cp" kafka.tools.StorageTool format \
        "--cluster-id=${CLUSTER_ID:?set CLUSTER_ID, a base64 UUID}" --config /etc/kafka/server.properties \
        "${scram[@]}"
fi
exec java "-Xms${KAFKA_HEAP_MB}m" "-Xmx${KAFKA_HEAP_MB}m" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "$log4j" -cp "$cp" kafka.Kafka /etc/kafka/server.properties
