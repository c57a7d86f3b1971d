"""An opt-in AWS WAF web ACL on the user pool: a rate limit per client IP on the sign-in API
calls, and AWS's IP reputation list.

What WAF can see of a user-pool request (Cognito developer guide, "Associate an AWS WAF web ACL
with a user pool"): the client IP, headers such as `X-Amz-Target` (the API operation), the
path and non-confidential body fields; never usernames, passwords or other personal data. The
account-takeover (ATP) managed rule group can't be used on a user pool, so it isn't here.
"""

from __future__ import annotations

from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

# The two calls a sign-in makes, as the X-Amz-Target header names them.
SIGN_IN_OPERATIONS = (
    "AWSCognitoIdentityProviderService.InitiateAuth",
    "AWSCognitoIdentityProviderService.RespondToAuthChallenge",
)


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _calls_to(operation: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": "x-amz-target"}),
            positional_constraint="EXACTLY",
            search_string=operation,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


class SignInWebAcl(Construct):
    """Regional web ACL, associated with `user_pool`.

    rate_limit: sign-in API requests (InitiateAuth + RespondToAuthChallenge) one client IP may
        make in 5 minutes before WAF blocks it for the rest of the window. A sign-in takes three
        or more requests.
    metric_prefix: prefix of the WAF CloudWatch metric names.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, user_pool: cognito.IUserPool, rate_limit: int, metric_prefix: str
    ) -> None:
        super().__init__(scope, construct_id)
        if type(rate_limit) is not int or not 10 <= rate_limit <= 2_000_000_000:
            raise ValueError("waf_rate_limit must be a whole number from 10 to 2,000,000,000 (AWS WAF's range)")
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"{metric_prefix}WebAcl"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="SignInRatePerIp",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            evaluation_window_sec=300,
                            limit=rate_limit,
                            scope_down_statement=wafv2.CfnWebACL.StatementProperty(
                                or_statement=wafv2.CfnWebACL.OrStatementProperty(
                                    statements=[_calls_to(operation) for operation in SIGN_IN_OPERATIONS]
                                )
                            ),
                        )
                    ),
                    visibility_config=_visibility(f"{metric_prefix}SignInRatePerIp"),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="AwsIpReputation",
                    priority=1,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS", name="AWSManagedRulesAmazonIpReputationList"
                        )
                    ),
                    visibility_config=_visibility(f"{metric_prefix}AwsIpReputation"),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=user_pool.user_pool_arn, web_acl_arn=self.web_acl.attr_arn
        )
