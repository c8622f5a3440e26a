"""State: a DynamoDB table per concern, on demand, point-in-time recovery, customer-managed KMS, TTL."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

from stacks.config import EnvironmentConfig
from stacks.constructs.signing_key import signing_key

SUBSCRIPTIONS_BY_DAY = "by-collection-day"  # functions/notifications/reminders.py INDEX
REQUESTS_BY_TEAM_DUE = "by-team-due"  # functions/console/queue.py QUEUE_INDEX
# What the staff queue shows: all the team index projects (no answers, location or contact details).
QUEUE_FIELDS = ("service_id", "service_title", "status", "channel", "assignee")
# Staff search by a keyed hash of the postcode or email (shared/search_keys.py): functions/console/records.py.
REQUESTS_BY_POSTCODE_KEY = "by-postcode-key"
REQUESTS_BY_EMAIL_KEY = "by-email-key"
SEARCH_INDEXES = {REQUESTS_BY_POSTCODE_KEY: "postcode_key", REQUESTS_BY_EMAIL_KEY: "email_key"}


SEARCH_INDEXES_CONTEXT = "search_indexes"


def search_index_count(scope: Construct) -> int:
    """How many of the search indexes to declare: all, unless `-c search_indexes=1` asks for the first only.

    CloudFormation creates at most one index of a table per stack update ("Cannot perform more than one GSI creation
    or deletion in a single update"), so a deployment made before the search indexes is upgraded in two deploys:
    `-c search_indexes=1`, then without it (docs/console.md)."""
    wanted = scope.node.try_get_context(SEARCH_INDEXES_CONTEXT)
    if wanted is None:
        return len(SEARCH_INDEXES)
    if str(wanted) not in {str(n) for n in range(len(SEARCH_INDEXES) + 1)}:
        raise ValueError(f"-c {SEARCH_INDEXES_CONTEXT}= takes 0 to {len(SEARCH_INDEXES)}, not {wanted!r}")
    return int(wanted)


def search_key_name(config: EnvironmentConfig) -> str:
    """The search key secret's name: the catalogue (which writes the keys) and the console (which searches by them)
    read it by this name (shared/search_keys.py)."""
    return f"{config.prefix}/search-key"


class DataStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, key: kms.IKey, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._config = config
        self._key = key
        # Residents' requests (all channels): keyed by the public reference; `expires_at` applies retention. Its
        # stream is the transactional outbox: each write's stored event is published from it (shared/outbox.py).
        self.requests = self._table(
            "Requests",
            partition_key="reference",
            ttl="expires_at",
            personal_data=True,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        )
        # The staff queue: a team's requests by due date (triage sets both; untriaged requests are not in it).
        self.requests.add_global_secondary_index(
            index_name=REQUESTS_BY_TEAM_DUE,
            partition_key=dynamodb.Attribute(name="team", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="due_date", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.INCLUDE,
            non_key_attributes=list(QUEUE_FIELDS),
        )
        # Staff search by postcode and email with no scan: a keyed hash of each (never the value) on the request,
        # and an index on each, newest first, projecting only the queue's fields and the team and due date.
        for index_name, attribute in list(SEARCH_INDEXES.items())[: search_index_count(self)]:
            self.requests.add_global_secondary_index(
                index_name=index_name,
                partition_key=dynamodb.Attribute(name=attribute, type=dynamodb.AttributeType.STRING),
                sort_key=dynamodb.Attribute(name="submitted_at", type=dynamodb.AttributeType.STRING),
                projection_type=dynamodb.ProjectionType.INCLUDE,
                non_key_attributes=["team", "due_date", *QUEUE_FIELDS],
            )
        # The key of those hashes: generated, never rotated (every stored key was made with it), kept in prod.
        self.search_key = signing_key(
            self,
            "SearchKey",
            description=f"Borough {config.name}: the HMAC key of requests' postcode and email search keys",
            removal=RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY,
            why_no_rotation=(
                "Every request's postcode_key and email_key is an HMAC under this key: a new value would make every "
                "stored key unfindable until each request's keys were recomputed, which no rotation Lambda does."
            ),
            secret_name=search_key_name(config),
        )
        # Powertools idempotency records (Idempotency-Key on submissions, event ids on consumers): hashed keys and
        # the first response (reference, status), no personal data.
        self.idempotency = self._table("Idempotency", partition_key="id", ttl="expiration", personal_data=False)
        # Every message sent or to be sent to a resident, with its delivery status.
        self.notifications = self._table(
            "Notifications", partition_key="message_id", ttl="expires_at", personal_data=True
        )
        # Bin collection reminder subscriptions (contact details: the council's key). Pending and unsubscribed ones
        # expire (`expires_at`); the daily job finds active ones by weekday through a sparse index.
        self.subscriptions = self._table(
            "Subscriptions", partition_key="subscription_id", ttl="expires_at", personal_data=True
        )
        self.subscriptions.add_global_secondary_index(
            index_name=SUBSCRIPTIONS_BY_DAY,
            partition_key=dynamodb.Attribute(name="collection_day", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="subscription_id", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )

    def _table(
        self,
        name: str,
        *,
        partition_key: str,
        ttl: str,
        personal_data: bool,
        stream: dynamodb.StreamViewType | None = None,
    ) -> dynamodb.Table:
        """A table; personal data is encrypted with the council's own key (revocable, audited in CloudTrail),
        anything else with DynamoDB's own key, which costs no KMS request per read or write."""
        protect = self._config.deletion_protection
        encryption = (
            {"encryption": dynamodb.TableEncryption.CUSTOMER_MANAGED, "encryption_key": self._key}
            if personal_data
            else {"encryption": dynamodb.TableEncryption.DEFAULT}
        )
        return dynamodb.Table(
            self,
            name,
            partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            **encryption,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=ttl,
            stream=stream,
            deletion_protection=protect,
            removal_policy=RemovalPolicy.RETAIN if protect else RemovalPolicy.DESTROY,
        )
