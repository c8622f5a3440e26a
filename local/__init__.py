"""The local cloud: runs what the CDK app synthesizes, in-process on moto, with no AWS account and no Docker."""
