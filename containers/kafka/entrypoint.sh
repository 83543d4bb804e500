#!/bin/bash
# Writes server.properties (as devstack.kafka.node_properties, one node), formats the log dir on the
# first start only (CLUSTER_ID), then runs the broker in the foreground.
set -euo pipefail
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
listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}
advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${data}
num.partitions=3
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
log4j="-Dlog4j2.configurationFile=/etc/kafka/log4j2.properties"
if [[ ! -f $data/meta.properties ]]; then
    java -Xmx256m -XX:TieredStopAtLevel=1 "$log4j" -cp "$cp" kafka.tools.StorageTool format \
        --cluster-id "${CLUSTER_ID:?set CLUSTER_ID, a base64 UUID}" --config /etc/kafka/server.properties
fi
exec java "-Xms${KAFKA_HEAP_MB}m" "-Xmx${KAFKA_HEAP_MB}m" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "$log4j" -cp "$cp" kafka.Kafka /etc/kafka/server.properties
