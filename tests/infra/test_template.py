"""Fine-grained assertions on the synthesized template: one security-relevant invariant each."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match

from tests.support import mask_assets, resources, synth

TRIGGER_KEYS = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallengeResponse", "PostAuthentication")


def only(template_json: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = list(resources(template_json, resource_type).values())
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0]


def pool_logical_id(template_json: dict[str, Any]) -> str:
    (logical_id,) = resources(template_json, "AWS::Cognito::UserPool")
    return logical_id


# --- App client ---------------------------------------------------------------------------


def test_client_allows_only_custom_auth_and_refresh(template_json: dict[str, Any]) -> None:
    client = only(template_json, "AWS::Cognito::UserPoolClient")["Properties"]
    assert client["ExplicitAuthFlows"] == ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


def test_client_has_no_secret(template) -> None:
    template.has_resource_properties("AWS::Cognito::UserPoolClient", {"GenerateSecret": False})


def test_oauth_is_off_and_there_is_no_hosted_ui(template, template_json: dict[str, Any]) -> None:
    client = only(template_json, "AWS::Cognito::UserPoolClient")["Properties"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is False
    for key in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs"):
        assert key not in client
    template.resource_count_is("AWS::Cognito::UserPoolDomain", 0)


def test_user_existence_errors_are_prevented(template) -> None:
    template.has_resource_properties("AWS::Cognito::UserPoolClient", {"PreventUserExistenceErrors": "ENABLED"})


def test_auth_session_validity_is_three_minutes(template) -> None:
    template.has_resource_properties("AWS::Cognito::UserPoolClient", {"AuthSessionValidity": 3})


def test_token_revocation_and_explicit_validities(template) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "EnableTokenRevocation": True,
            "AccessTokenValidity": 60,
            "IdTokenValidity": 60,
            "RefreshTokenValidity": 30 * 24 * 60,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"},
        },
    )


# --- User pool ----------------------------------------------------------------------------


def test_password_policy_sets_every_requirement(template_json: dict[str, Any]) -> None:
    policy = only(template_json, "AWS::Cognito::UserPool")["Properties"]["Policies"]["PasswordPolicy"]
    assert policy == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 3,
    }


def test_an_email_change_waits_for_verification_and_the_client_writes_only_email(template) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
            "AutoVerifiedAttributes": ["email"],
        },
    )
    template.has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {"ReadAttributes": ["email", "email_verified"], "WriteAttributes": ["email"]},
    )


def test_sign_in_with_email_and_no_self_sign_up(template) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UsernameAttributes": ["email"],
            "UsernameConfiguration": {"CaseSensitive": False},
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        },
    )


def test_account_recovery_is_email_only(template) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {"AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}},
    )


def test_essentials_plan_without_threat_protection_by_default(template) -> None:
    template.has_resource_properties(
        "AWS::Cognito::UserPool",
        {"UserPoolTier": "ESSENTIALS", "UserPoolAddOns": Match.absent()},
    )


def test_threat_protection_context_enables_plus_for_standard_and_custom_auth() -> None:
    synth(threatProtection="true").has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UserPoolTier": "PLUS",
            "UserPoolAddOns": {
                "AdvancedSecurityMode": "ENFORCED",
                "AdvancedSecurityAdditionalFlows": {"CustomAuthMode": "ENFORCED"},
            },
        },
    )


def test_lambda_config_names_exactly_the_four_triggers(template_json: dict[str, Any]) -> None:
    config = only(template_json, "AWS::Cognito::UserPool")["Properties"]["LambdaConfig"]
    assert sorted(config) == sorted(TRIGGER_KEYS)
    functions = resources(template_json, "AWS::Lambda::Function")
    referenced = {value["Fn::GetAtt"][0] for value in config.values()}
    assert referenced == set(functions)
    # each trigger points at the handler of its own name
    handlers = {key: functions[value["Fn::GetAtt"][0]]["Properties"]["Handler"] for key, value in config.items()}
    assert handlers == {
        "DefineAuthChallenge": "captcha_auth.define_auth_challenge.lambda_handler",
        "CreateAuthChallenge": "captcha_auth.create_auth_challenge.lambda_handler",
        "VerifyAuthChallengeResponse": "captcha_auth.verify_auth_challenge.lambda_handler",
        "PostAuthentication": "captcha_auth.post_authentication.lambda_handler",
    }


def test_invoke_permissions_are_scoped_to_the_pool(template_json: dict[str, Any]) -> None:
    permissions = list(resources(template_json, "AWS::Lambda::Permission").values())
    assert len(permissions) == 4
    pool = pool_logical_id(template_json)
    targets = set()
    for permission in permissions:
        props = permission["Properties"]
        assert props["Principal"] == "cognito-idp.amazonaws.com"
        assert props["Action"] == "lambda:InvokeFunction"
        assert props["SourceArn"] == {"Fn::GetAtt": [pool, "Arn"]}
        targets.add(props["FunctionName"]["Fn::GetAtt"][0])
    assert targets == set(resources(template_json, "AWS::Lambda::Function"))


# --- Functions ----------------------------------------------------------------------------


def test_every_function_runtime_architecture_and_timeout(template_json: dict[str, Any]) -> None:
    functions = resources(template_json, "AWS::Lambda::Function").values()
    assert len(functions) == 4
    for function in functions:
        props = function["Properties"]
        assert props["Runtime"] == "python3.14"
        assert props["Architectures"] == ["arm64"]
        assert props["Timeout"] <= 5  # Cognito's trigger limit
        assert "FunctionName" not in props  # no physical names


def test_every_function_logs_json_to_its_own_retained_log_group(template_json: dict[str, Any]) -> None:
    log_groups = resources(template_json, "AWS::Logs::LogGroup")
    used = set()
    for function in resources(template_json, "AWS::Lambda::Function").values():
        logging = function["Properties"]["LoggingConfig"]
        assert logging["LogFormat"] == "JSON"
        assert logging["ApplicationLogLevel"] == "INFO"
        group_id = logging["LogGroup"]["Ref"]
        assert log_groups[group_id]["Properties"]["RetentionInDays"] == 90
        assert "LogGroupName" not in log_groups[group_id]["Properties"]
        used.add(group_id)
    assert used == set(log_groups) and len(used) == 4


def test_the_attempt_limit_reaches_define_and_create_only(template_json: dict[str, Any]) -> None:
    limits = {
        f["Properties"]["Handler"].split(".")[1]: f["Properties"]
        .get("Environment", {})
        .get("Variables", {})
        .get("MAX_CAPTCHA_ATTEMPTS")
        for f in resources(template_json, "AWS::Lambda::Function").values()
    }
    assert limits == {
        "define_auth_challenge": "3",
        "create_auth_challenge": "3",
        "verify_auth_challenge": None,
        "post_authentication": None,
    }


def test_the_attempt_limit_from_context_reaches_the_template() -> None:
    functions = resources(synth(maxCaptchaAttempts="6").to_json(), "AWS::Lambda::Function").values()
    given = [f["Properties"].get("Environment", {}).get("Variables", {}) for f in functions]
    assert sorted(variables.get("MAX_CAPTCHA_ATTEMPTS", "-") for variables in given) == [
        "-",
        "-",
        "6",
        "6",
    ]


def test_memory_sizes(template_json: dict[str, Any]) -> None:
    sizes = {
        f["Properties"]["Handler"].split(".")[1]: f["Properties"]["MemorySize"]
        for f in resources(template_json, "AWS::Lambda::Function").values()
    }
    assert sizes == {
        "define_auth_challenge": 512,
        "create_auth_challenge": 1024,
        "verify_auth_challenge": 512,
        "post_authentication": 512,
    }


# --- IAM ----------------------------------------------------------------------------------


def _statements(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for policy in resources(template_json, "AWS::IAM::Policy").values():
        statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def test_no_iam_statement_has_a_wildcard_action(template_json: dict[str, Any]) -> None:
    statements = _statements(template_json)
    assert statements
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), actions


def _policy_of(template_json: dict[str, Any], function_handler: str) -> list[dict[str, Any]]:
    functions = resources(template_json, "AWS::Lambda::Function")
    (role,) = [
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in functions.values()
        if f["Properties"]["Handler"] == f"captcha_auth.{function_handler}.lambda_handler"
    ]
    return [
        statement
        for policy in resources(template_json, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_roles_write_their_own_log_group_and_only_define_touches_the_counter(template_json: dict[str, Any]) -> None:
    log_groups = set(resources(template_json, "AWS::Logs::LogGroup"))
    (table,) = resources(template_json, "AWS::DynamoDB::Table")
    (secret,) = resources(template_json, "AWS::SecretsManager::Secret")
    for handler in ("define_auth_challenge", "create_auth_challenge", "verify_auth_challenge", "post_authentication"):
        statements = _policy_of(template_json, handler)
        logs = [s for s in statements if s["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]]
        assert len(logs) == 1 and logs[0]["Resource"]["Fn::GetAtt"][0] in log_groups
        others = [s for s in statements if s not in logs]
        if handler != "define_auth_challenge":
            assert others == [], handler
            continue
        assert sorted(others, key=lambda s: str(s["Action"])) == [
            {
                "Action": ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:UpdateItem"],
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [table, "Arn"]},
            },
            {"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": {"Ref": secret}},
        ]
    for role in resources(template_json, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


# --- The failure counter ------------------------------------------------------------------


def test_the_counter_table_is_on_demand_encrypted_recoverable_and_expiring(template) -> None:
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "DeletionPolicy": "Retain",
            "Properties": {
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": {"SSEEnabled": True},
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
                "DeletionProtectionEnabled": True,
            },
        },
    )


def test_the_hashing_key_is_generated_at_deploy_time_and_never_in_the_template(template_json: dict[str, Any]) -> None:
    (secret,) = resources(template_json, "AWS::SecretsManager::Secret").values()
    assert "SecretString" not in secret["Properties"]
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32


def test_define_gets_the_counter_settings(template_json: dict[str, Any]) -> None:
    (table,) = resources(template_json, "AWS::DynamoDB::Table")
    (secret,) = resources(template_json, "AWS::SecretsManager::Secret")
    define = next(
        f for f in resources(template_json, "AWS::Lambda::Function").values() if "define" in f["Properties"]["Handler"]
    )
    variables = define["Properties"]["Environment"]["Variables"]
    assert variables["FAILURE_TABLE_NAME"] == {"Ref": table}
    assert variables["FAILURE_KEY_SECRET_ARN"] == {"Ref": secret}
    # The partition's domain, for the endpoints of the table and the secret (never a fixed one).
    assert variables["ENDPOINT_URL_SUFFIX"] == {"Ref": "AWS::URLSuffix"}
    assert {k: v for k, v in variables.items() if k.startswith(("LOCKOUT_", "COUNTER_"))} == {
        "LOCKOUT_AFTER_FAILURES": "5",
        "LOCKOUT_WINDOW_SECONDS": "900",
        "LOCKOUT_BACKOFF_SECONDS": "300",
        "LOCKOUT_MAX_BACKOFF_SECONDS": "3600",
        "COUNTER_FAIL_OPEN": "false",
    }


# --- Alarms, dashboard and WAF ------------------------------------------------------------


def test_four_alarms_and_a_dashboard(template_json: dict[str, Any]) -> None:
    alarms = resources(template_json, "AWS::CloudWatch::Alarm").values()
    descriptions = sorted(a["Properties"]["AlarmDescription"] for a in alarms)
    assert len(descriptions) == 4
    assert any("trigger failed" in d for d in descriptions)
    assert any("locked usernames" in d for d in descriptions)
    assert any("failed the CAPTCHA" in d for d in descriptions)
    assert any("failure counter" in d for d in descriptions)
    for alarm in alarms:
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"
        assert "AlarmActions" not in alarm["Properties"]  # no topic unless one is given
    (dashboard,) = resources(template_json, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in ("SignInPassed", "WrongAnswer", "AttemptsExhausted", "LockedOut", "CaptchaAudio", "TriggerError"):
        assert metric in body


def test_the_error_alarm_discounts_lockouts_and_counts_every_function(template_json: dict[str, Any]) -> None:
    (alarm,) = [
        a
        for a in resources(template_json, "AWS::CloudWatch::Alarm").values()
        if "trigger failed" in a["Properties"]["AlarmDescription"]
    ]
    queries = alarm["Properties"]["Metrics"]
    (expression,) = [q["Expression"] for q in queries if "Expression" in q]
    assert expression.endswith("- FILL(locked, 0)")
    names = sorted(q["MetricStat"]["Metric"]["MetricName"] for q in queries if "MetricStat" in q)
    assert names == ["Errors", "Errors", "Errors", "Errors", "LockedOut", "ProviderError", "TriggerError"]


def test_no_waf_unless_asked(template) -> None:
    template.resource_count_is("AWS::WAFv2::WebACL", 0)


def test_waf_context_adds_a_web_acl_on_the_user_pool() -> None:
    waf = synth(waf="true").to_json()
    (acl_id, acl) = next(iter(resources(waf, "AWS::WAFv2::WebACL").items()))
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL" and props["DefaultAction"] == {"Allow": {}}
    rate, reputation = sorted(props["Rules"], key=lambda r: r["Priority"])
    statement = rate["Statement"]["RateBasedStatement"]
    assert rate["Action"] == {"Block": {}}
    assert (statement["AggregateKeyType"], statement["Limit"], statement["EvaluationWindowSec"]) == ("IP", 300, 300)
    targets = {
        s["ByteMatchStatement"]["SearchString"] for s in statement["ScopeDownStatement"]["OrStatement"]["Statements"]
    }
    assert targets == {
        "AWSCognitoIdentityProviderService.InitiateAuth",
        "AWSCognitoIdentityProviderService.RespondToAuthChallenge",
    }
    assert reputation["Statement"]["ManagedRuleGroupStatement"] == {
        "VendorName": "AWS",
        "Name": "AWSManagedRulesAmazonIpReputationList",
    }
    for rule in props["Rules"]:
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    (association,) = resources(waf, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"] == {
        "ResourceArn": {"Fn::GetAtt": [pool_logical_id(waf), "Arn"]},
        "WebACLArn": {"Fn::GetAtt": [acl_id, "Arn"]},
    }


# --- Outputs and removal policy ------------------------------------------------------------


def test_outputs(template_json: dict[str, Any]) -> None:
    outputs = template_json["Outputs"]
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool_logical_id(template_json)}
    (client_id,) = resources(template_json, "AWS::Cognito::UserPoolClient")
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": client_id}
    assert outputs["Region"]["Value"] == {"Ref": "AWS::Region"}
    # The clients learn the sign-in session's lifetime from here, not from a copy of their own.
    (client,) = resources(template_json, "AWS::Cognito::UserPoolClient").values()
    assert outputs["AuthSessionValidityMinutes"]["Value"] == str(client["Properties"]["AuthSessionValidity"])


@pytest.mark.parametrize(
    ("context", "policy", "deletion_protection"),
    [({}, "Retain", "ACTIVE"), ({"sandbox": "true"}, "Delete", "INACTIVE")],
    ids=["default-retain", "sandbox-destroy"],
)
def test_removal_policy_per_context(template, context, policy, deletion_protection) -> None:
    chosen = synth(**context) if context else template
    chosen.has_resource("AWS::Cognito::UserPool", {"DeletionPolicy": policy, "UpdateReplacePolicy": policy})
    chosen.has_resource_properties("AWS::Cognito::UserPool", {"DeletionProtection": deletion_protection})
    chosen.all_resources("AWS::Logs::LogGroup", {"DeletionPolicy": policy})


# --- The local-emulator target ---------------------------------------------------------------


def test_local_target_changes_nothing_but_the_bundle_and_the_alarms(template_json: dict[str, Any]) -> None:
    """The emulator runs the handlers on its own Python and can't create metric-math alarms."""
    local = synth(target="local").to_json()
    without_alarms = mask_assets(template_json)
    alarms = {k for k, v in without_alarms["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm"}
    assert len(alarms) == 4
    without_alarms["Resources"] = {k: v for k, v in without_alarms["Resources"].items() if k not in alarms}
    for resource in resources(without_alarms, "AWS::CloudWatch::Dashboard").values():
        resource["Properties"]["DashboardBody"] = "<dashboard>"
    masked_local = mask_assets(local)
    for resource in resources(masked_local, "AWS::CloudWatch::Dashboard").values():
        resource["Properties"]["DashboardBody"] = "<dashboard>"
    assert masked_local == without_alarms
    code = [r["Properties"]["Code"]["S3Key"] for r in resources(local, "AWS::Lambda::Function").values()]
    aws_code = [r["Properties"]["Code"]["S3Key"] for r in resources(template_json, "AWS::Lambda::Function").values()]
    assert set(code).isdisjoint(aws_code)  # different wheels, never the same asset
