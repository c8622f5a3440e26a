"""Requests by the keyed hash of their postcode or email (shared/search_keys.py): a Query on the Requests table's
`by-postcode-key` or `by-email-key` index, newest first, never a Scan.

The indexes project only the queue's fields (with the team and due date): what the search shows. Old requests,
stored before the catalogue wrote the keys, have none and are not in the indexes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from boto3.dynamodb.conditions import Key

from shared import aws
from shared.search_keys import EMAIL_KEY, POSTCODE_KEY, SearchKind

# stacks/data_stack.py SEARCH_INDEXES: the index of each kind of search and its partition key.
INDEXES = {SearchKind.POSTCODE: ("by-postcode-key", POSTCODE_KEY), SearchKind.EMAIL: ("by-email-key", EMAIL_KEY)}
MAX_READS = 500  # index entries one search reads at most (a busy postcode): the newest are shown
_BATCH = 100


class SearchIndex:
    def __init__(self, table_name: str) -> None:
        self._table = aws.table(table_name)

    def newest(self, kind: SearchKind, key: str, *, max_reads: int = MAX_READS) -> Iterator[dict[str, Any]]:
        """The requests with this key, newest first, as the index projects them (at most `max_reads`)."""
        index, attribute = INDEXES[kind]
        query: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": Key(attribute).eq(key),
            "ScanIndexForward": False,  # the sort key is `submitted_at`
            "Limit": min(_BATCH, max_reads),
        }
        read = 0
        while read < max_reads:
            answer = self._table.query(**query)
            for item in answer.get("Items", []):
                read += 1
                yield dict(item)
            if "LastEvaluatedKey" not in answer:
                return
            query["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
            query["Limit"] = min(_BATCH, max_reads - read)

    def references(self, kind: SearchKind, key: str) -> list[str]:
        """Every request with this key, newest first: for a subject access export, which must miss none."""
        return [str(item["reference"]) for item in self.newest(kind, key, max_reads=10**6)]
