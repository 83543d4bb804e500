// Waiting for what lands after an answer, shared by the SDK scenarios.
'use strict'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// What crosses Kafka or a projection lands after the answer, on a busy machine many seconds later:
// a deadline, not a count of tries (each try is slow then too).
async function eventually(read, check, what, seconds = 60) {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    const last = await read()
    if (check(last)) return last
    if (Date.now() > deadline) throw new Error(`${what}: last seen ${JSON.stringify(last)}`)
    await sleep(100)
  }
}

// A call's answer, or the error it rejected with (for reads that may fail until something lands).
const orFailure = (call) => async () => { try { return await call() } catch (e) { return e } }

module.exports = { sleep, eventually, orFailure }
