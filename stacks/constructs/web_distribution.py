"""The CloudFront distribution residents reach: pages and `/api/*` to the HTTP API, `/assets/*` to S3, map tiles.

Every behaviour is HTTPS only with one security headers policy; the WAF's web ACL (us-east-1) sits in front
(decision 0003). Pages and the API are never cached; fingerprinted assets for a year; map tiles for a week.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import Duration, Fn
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from shared import maps, origin_verify
from stacks.config import EnvironmentConfig
from stacks.constructs.logical_ids import Group
from stacks.constructs.nag import suppress
from stacks.constructs.web_assets import ASSET_MAX_AGE

MAP_TILES_FUNCTION = Path(__file__).resolve().parents[1] / "cloudfront" / "map_tiles.js"
MAP_TILE_MAX_AGE = Duration.days(7)
ORIGIN_VERIFY_ROTATION_CONTEXT = "origin_verify_rotation"  # `-c origin_verify_rotation=<label>` after a rotation


def map_tiles_function_code(settings: maps.MapSettings) -> str:
    """The `/map-tiles/*` viewer function (stacks/cloudfront/map_tiles.js) with the environment's settings."""
    code = MAP_TILES_FUNCTION.read_text()
    ranges = {str(zoom): list(bounds) for zoom, bounds in maps.tile_ranges(settings).items()}
    for placeholder, value in {
        "__TILE_RANGES__": json.dumps(ranges, separators=(",", ":")),
        "__KEY_NAME__": settings.key_name,
        "__KEY_PARAMETER__": settings.key_parameter,
    }.items():
        code = code.replace(placeholder, value)
    return code


# "Pay" and "Send" post to the web, which answers 303 to GOV.UK Pay's card page: browsers check a form's redirect
# against form-action too.
PAY_CARD_PAGES = "https://card.payments.service.gov.uk"


class WebDistribution(Group):
    """The distribution (`distribution`), its viewer functions, cache, origin request and response headers policies."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        http_api: apigw.HttpApi,
        origin_verify_secret: secretsmanager.ISecret,
        web_acl_arn: str,
        quarantine: s3.IBucket,
        assets: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._web_acl_arn = web_acl_arn  # the WAF stack's web ACL (us-east-1), read across regions
        self._origin_verify = origin_verify_secret  # the API stack's: CloudFront sends it to the API (decision 0003)
        self.quarantine = quarantine  # browsers post files straight to it (the CSP's form-action)
        self.assets = assets
        self.distribution = self._distribution(http_api)

    def _distribution(self, http_api: apigw.HttpApi) -> cloudfront.Distribution:
        api_domain = Fn.select(2, Fn.split("/", http_api.api_endpoint))
        # The origin-verify header: the functions behind the API refuse requests without it, so the API's own
        # execute-api address cannot be used to skip the WAF (shared/origin_verify.py, decision 0003). The value is
        # unwrapped here only, and what the template holds is CloudFormation's dynamic reference
        # `{{resolve:secretsmanager:<arn>:SecretString:::}}`, resolved at deploy time: never the value itself.
        # CloudFormation resolves it again only when the distribution changes: rotating is a new secret value and
        # a deploy with `-c origin_verify_rotation=<label>` (decision 0003).
        verify_value = self._origin_verify.secret_value.unsafe_unwrap()
        api_origin = origins.HttpOrigin(
            api_domain,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            custom_headers={origin_verify.HEADER: verify_value},
        )
        # API Gateway needs its own Host; the site's host and scheme travel in X-Forwarded-* for links and cookies.
        forward_host = cloudfront.Function(
            self,
            "ForwardHost",
            comment="Pass the site's host to the web function (API Gateway needs its own Host header)",
            code=cloudfront.FunctionCode.from_inline(
                "function handler(event) {\n"
                "  var request = event.request;\n"
                "  request.headers['x-forwarded-host'] = {value: request.headers.host.value};\n"
                "  request.headers['x-forwarded-proto'] = {value: 'https'};\n"
                "  return request;\n"
                "}\n"
            ),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        uploads_origins = (
            f"https://{self.quarantine.bucket_domain_name} https://{self.quarantine.bucket_regional_domain_name}"
        )
        csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
            f"connect-src 'self'; form-action 'self' {uploads_origins} {PAY_CARD_PAGES}; frame-ancestors 'none'; "
            "base-uri 'self'; "
            "object-src 'none'"
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="Borough web: security headers on every response",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=csp, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, override=True
                ),
            ),
        )
        assets_cache = cloudfront.CachePolicy(
            self,
            "AssetsCache",
            comment="Fingerprinted static assets: cache for a year",
            default_ttl=ASSET_MAX_AGE,
            max_ttl=ASSET_MAX_AGE,
            min_ttl=Duration.days(1),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        pages = cloudfront.BehaviorOptions(
            origin=api_origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=headers,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=forward_host, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ],
            compress=True,
        )
        behaviours = {
            "/api/*": pages,
            "/assets/*": cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.assets),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=assets_cache,
                response_headers_policy=headers,
                compress=True,
            ),
        }
        if self._config.map is not None:
            behaviours[f"{maps.TILES_PATH}/*"] = self._map_tiles(self._config.map, headers)
        distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"Borough {self._config.name}: resident web, API and assets{self._rotation_label()}",
            default_behavior=pages,
            additional_behaviors=behaviours,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            web_acl_id=self._web_acl_arn,  # WAFv2: the ACL's ARN (not its id)
        )
        resource = distribution.node.default_child
        suppress(
            resource,
            "AwsSolutions-CFR3",
            "CloudFront standard logs need a bucket with legacy ACLs. Page and API requests are logged by the HTTP "
            "API's access logs and asset reads by S3 server access logs; real-time logs can be added per council.",
        )
        suppress(
            resource,
            "AwsSolutions-CFR1",
            "No geo restriction: residents, and people reporting problems in the borough, may be abroad; the "
            "services are public and protected by WAF rate rules rather than by location.",
        )
        suppress(
            resource,
            "AwsSolutions-CFR4",
            "Without a council's own domain the distribution uses CloudFront's default certificate, whose "
            "minimum TLS version cannot be set; with a custom domain TLS 1.2 (2021) applies.",
        )
        return distribution

    def _rotation_label(self) -> str:
        """A change here updates the distribution, so CloudFormation resolves the origin-verify secret again."""
        label = self.node.try_get_context(ORIGIN_VERIFY_ROTATION_CONTEXT)
        return f" (origin verify: {str(label)[:40]})" if label else ""

    def _map_tiles(
        self, settings: maps.MapSettings, headers: cloudfront.IResponseHeadersPolicy
    ) -> cloudfront.BehaviorOptions:
        """`/map-tiles/{z}/{x}/{y}.png` from the tile service, with its API key added at the edge and cached a week.

        The key lives in a CloudFront key value store that a person fills once (docs/web.md); until then tiles
        answer 503 and the map widget removes itself (residents still have the postcode and description)."""
        store = cloudfront.KeyValueStore(self, "MapKeys", comment="The map tile service's API key (docs/web.md)")
        add_key = cloudfront.Function(
            self,
            "MapTilesKey",
            comment="Check a map tile's address and add the tile service's API key",
            code=cloudfront.FunctionCode.from_inline(map_tiles_function_code(settings)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            key_value_store=store,
        )
        cache = cloudfront.CachePolicy(
            self,
            "MapTilesCache",
            comment="Map tiles: a week at the edge; the API key is not part of the cache key",
            default_ttl=MAP_TILE_MAX_AGE,
            max_ttl=MAP_TILE_MAX_AGE,
            min_ttl=Duration.days(1),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.none(),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
        )
        forward = cloudfront.OriginRequestPolicy(
            self,
            "MapTilesRequest",
            comment="Map tiles: send the tile service only the API key parameter",
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.allow_list(settings.key_parameter),
            header_behavior=cloudfront.OriginRequestHeaderBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        return cloudfront.BehaviorOptions(
            origin=origins.HttpOrigin(
                settings.tiles_origin,
                origin_path=settings.tiles_path or None,
                protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            ),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cache_policy=cache,
            origin_request_policy=forward,
            response_headers_policy=headers,
            function_associations=[
                cloudfront.FunctionAssociation(function=add_key, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST)
            ],
            compress=False,  # PNG is compressed already
        )
