"""Parking permits: zones and prices as data, vehicle registration marks, DVLA vehicle details, validity dates and
the visitor wallet. Plain logic only for now: the service's stack, pages and journey are not built (docs/permits.md).
"""
