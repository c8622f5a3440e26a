"""The Borough CDK app: one stack per concern. Stacks hold no business logic."""
