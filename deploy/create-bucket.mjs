// Creates the bucket S3_BUCKET on S3_ENDPOINT with the app's own S3 client and credentials, and waits for the
// server to accept them first (up to 60 s). Idempotent: a bucket we already own is success. docker-compose.yml
// runs it once, from the application image, before the APIs and the worker start (they check the bucket at start).
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';

const { S3_ENDPOINT, S3_BUCKET, S3_REGION = 'us-east-1', S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = process.env;
if (!S3_ENDPOINT || !S3_BUCKET || !S3_ACCESS_KEY_ID || !S3_SECRET_ACCESS_KEY) {
  console.error('create-bucket: set S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY');
  process.exit(2);
}
const s3 = new S3Client({
  endpoint: S3_ENDPOINT,
  region: S3_REGION,
  forcePathStyle: true,
  credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET_ACCESS_KEY },
});
const deadline = Date.now() + 60_000;
for (;;) {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: S3_BUCKET }));
    console.log(`create-bucket: created ${S3_BUCKET}`);
    break;
  } catch (error) {
    const name = error?.name ?? '';
    if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') {
      console.log(`create-bucket: ${S3_BUCKET} exists`);
      break;
    }
    if (Date.now() > deadline) {
      console.error(`create-bucket: ${S3_BUCKET} on ${S3_ENDPOINT}: ${name || error}: ${error?.message ?? ''}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
// The same check the app makes at start: the bucket answers to these credentials.
await s3.send(new HeadBucketCommand({ Bucket: S3_BUCKET }));
s3.destroy();
