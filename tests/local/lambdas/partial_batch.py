"""A test-only SQS consumer: fails every record whose body starts with "fail", and reports what it saw."""

import json
import os

import boto3


def handler(event, context):
    records = event["Records"]
    boto3.client("sqs").send_message(
        QueueUrl=os.environ["RESULTS_QUEUE_URL"],
        MessageBody=json.dumps(
            [{"body": r["body"], "receives": r["attributes"]["ApproximateReceiveCount"]} for r in records]
        ),
    )
    failures = [{"itemIdentifier": r["messageId"]} for r in records if r["body"].startswith("fail")]
    return {"batchItemFailures": failures}
