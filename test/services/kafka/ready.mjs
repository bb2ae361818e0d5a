// ready.mjs - readiness probe for kafka.sh: the broker answers a metadata
// request and can create/describe a topic (so it has joined its own KRaft
// quorum).  Usage: node ready.mjs HOST:PORT TIMEOUT_SECONDS.  Exit 0 when ready.
import { Kafka, logLevel } from 'kafkajs';

const [broker, timeoutArg] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg ?? 60) * 1000;
const kafka = new Kafka({
  clientId: 'sigsys-kafka-ready',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  retry: { retries: 0 },
});

let last = 'no attempt';
while (Date.now() < deadline) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const { brokers } = await admin.describeCluster();
    if (brokers.length > 0) {
      await admin.createTopics({ topics: [{ topic: '__sigsys_ready', numPartitions: 1 }], waitForLeaders: true });
      await admin.fetchTopicMetadata({ topics: ['__sigsys_ready'] });
      await admin.disconnect();
      process.exit(0);
    }
    last = 'no brokers in metadata';
  } catch (err) {
    last = err instanceof Error ? err.message : String(err);
  }
  await admin.disconnect().catch(() => {});
  await new Promise((r) => setTimeout(r, 250));
}
console.error(`kafka ready: ${broker}: ${last}`);
process.exit(1);
