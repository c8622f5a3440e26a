"""CloudFront in front: behaviours route to the API or to S3, with the response headers policy applied."""

from __future__ import annotations

import pytest

from local.cdn import _glob, apply_headers_policy

pytestmark = pytest.mark.local


def _assets_bucket(cloud) -> str:
    return cloud.physical_id("Borough-dev-Web/StaticAssets/Assets")


def test_pages_go_to_the_api_origin_with_security_headers(local_cloud):
    response = local_cloud.handle("GET", "/")
    assert response.status == 200
    assert response.header("content-type").startswith("text/html")
    assert "frame-ancestors 'none'" in response.header("content-security-policy")
    assert response.header("x-frame-options") == "DENY"
    assert response.header("x-content-type-options") == "nosniff"


def test_api_paths_take_the_api_behaviour(local_cloud):
    response = local_cloud.handle("GET", "/api/v1/services")
    assert response.status == 200
    assert response.header("strict-transport-security").startswith("max-age=")


def test_assets_come_from_the_bucket_the_deployment_filled(local_cloud):
    listed = local_cloud.client("s3").list_objects_v2(Bucket=_assets_bucket(local_cloud), Prefix="assets/")
    key = next(item["Key"] for item in listed["Contents"] if item["Key"].endswith(".css"))
    response = local_cloud.handle("GET", f"/{key}")
    assert response.status == 200
    assert response.header("content-type") == "text/css"
    assert response.header("cache-control") == "public, max-age=31536000, immutable"
    assert response.header("x-content-type-options") == "nosniff"
    head = local_cloud.handle("HEAD", f"/{key}")
    assert (head.status, head.body) == (200, b"")


def test_missing_assets_and_unallowed_methods_are_refused_as_cloudfront_does(local_cloud):
    assert local_cloud.handle("GET", "/assets/no-such-file.css").status == 403  # S3 via OAC: AccessDenied
    assert local_cloud.handle("POST", "/assets/anything", body=b"x").status == 403  # GET and HEAD only


def test_path_patterns_are_cloudfront_globs():
    assert _glob("/api/*").fullmatch("/api/v1/services/x")
    assert _glob("assets/*.css").fullmatch("/assets/a/b.css")
    assert not _glob("/api/*").fullmatch("/apiary")
    assert _glob("/a?c").fullmatch("/abc")


def test_headers_policy_overrides_only_where_told():
    policy = {
        "SecurityHeadersConfig": {
            "FrameOptions": {"FrameOption": "DENY", "Override": True},
            "ReferrerPolicy": {"ReferrerPolicy": "same-origin", "Override": False},
        },
        "CustomHeadersConfig": {"Items": [{"Header": "X-Extra", "Value": "1", "Override": False}]},
        "RemoveHeadersConfig": {"Items": [{"Header": "Server"}]},
    }
    headers = [("x-frame-options", "SAMEORIGIN"), ("referrer-policy", "no-referrer"), ("server", "origin")]
    assert sorted(apply_headers_policy(policy, headers)) == [
        ("referrer-policy", "no-referrer"),
        ("x-extra", "1"),
        ("x-frame-options", "DENY"),
    ]


def test_map_tiles_take_their_behaviour_to_the_tile_stand_in(local_cloud):
    response = local_cloud.handle("GET", "/map-tiles/13/4107/2739.png")
    assert response.status == 200
    assert response.header("content-type") == "image/png"
    assert response.body.startswith(b"\x89PNG\r\n\x1a\n")
    assert response.header("x-content-type-options") == "nosniff"  # the behaviour's headers policy applies
    # The edge function's checks: only the council's zoom levels, only tiles; and only GET and HEAD.
    assert local_cloud.handle("GET", "/map-tiles/18/131000/87000.png").status == 404
    assert local_cloud.handle("GET", "/map-tiles/13/4107/2739.jpg").status == 404
    assert local_cloud.handle("POST", "/map-tiles/13/4107/2739.png", body=b"x").status == 403
