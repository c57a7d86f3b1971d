"""CaptchaAuth: a Cognito user pool whose only sign-in is password (SRP) first, then a CAPTCHA.

The construct owns the pool, the app client and the four trigger functions, exposes each as a
public attribute, and is the single source of every setting it owns: the triggers learn theirs
from the environment it gives them, the clients from the stack's outputs.

Every prop is keyword-only and defaults to the secure choice; the README's "Default settings"
table gives the reason for each. Any other pool or client setting can be changed with
`user_pool_overrides` / `client_overrides`; the settings the security model rests on can't be,
and an attempt raises `ProtectedSettingError`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import jsii
from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Stack, Validations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation

from stacks.captcha_auth.monitoring import SignInMonitoring
from stacks.captcha_auth.nag import (
    CHOSEN_RUNTIME,
    COUNTER_KEY_NOT_ROTATED,
    OLDER_RUNTIME,
    PROVIDER_KEY_NOT_ROTATED,
    SECRET_ROTATION,
    acknowledged_findings,
)
from stacks.captcha_auth.trigger_code import bundled_trigger_code
from stacks.captcha_auth.web_acl import SignInWebAcl

# Why each client setting is fixed. USER_PASSWORD_AUTH, USER_SRP_AUTH and USER_AUTH would each
# sign in without the CAPTCHA; OAuth's hosted UI never runs custom challenges; a public client
# can't keep a secret; existence errors would tell a bot which accounts to attack.
PROTECTED_CLIENT_SETTINGS = {
    "auth_flows": "only CUSTOM_AUTH (which carries SRP) may sign in; any other flow skips the CAPTCHA",
    "o_auth": "the hosted UI and OAuth flows never run the CAPTCHA",
    "disable_o_auth": "the hosted UI and OAuth flows never run the CAPTCHA",
    "generate_secret": "browsers and CLIs are public clients and can't keep a secret",
    "prevent_user_existence_errors": "unknown users must get the same answers as a wrong password",
}
PROTECTED_POOL_SETTINGS = {
    "lambda_triggers": "the define, create, verify and post-authentication triggers are the sign-in",
}
# Settings with a prop of their own: one place to set each, so the stack outputs and the
# triggers' environment always agree with the template.
PROP_FOR = {
    "auth_session_validity": "auth_session_validity",
    "access_token_validity": "access_token_validity",
    "id_token_validity": "id_token_validity",
    "refresh_token_validity": "refresh_token_validity",
    "self_sign_up_enabled": "self_sign_up_enabled",
    "removal_policy": "removal_policy",
    "deletion_protection": "removal_policy",
    "feature_plan": "threat_protection",
    "standard_threat_protection_mode": "threat_protection",
    "custom_threat_protection_mode": "threat_protection",
    "advanced_security_mode": "threat_protection",
}
CUSTOM_AUTH_FLOWS = ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
# For the triggers that call AWS (Define the counter's table and key, Verify a provider's secret):
# their endpoints' domain in this partition (amazonaws.com, amazonaws.com.cn, ...), as
# CloudFormation knows it. lambdas/captcha_auth/aws_json.py builds the endpoints from it.
AWS_API_SETTINGS = {"ENDPOINT_URL_SUFFIX": Aws.URL_SUFFIX}

# Managed challenge providers and their documented siteverify endpoints.
PROVIDER_VERIFY_URLS = {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "recaptcha-v2": "https://www.google.com/recaptcha/api/siteverify",
    "recaptcha-v3": "https://www.google.com/recaptcha/api/siteverify",
    "hcaptcha": "https://api.hcaptcha.com/siteverify",
}
CAPTCHA_PROVIDERS = ("builtin", *PROVIDER_VERIFY_URLS)
# Providers whose widget is rendered for a named action, which their reply reports back.
PROVIDERS_WITH_ACTION = ("turnstile", "recaptcha-v3")


class ProtectedSettingError(ValueError):
    """An override of a setting the security model rests on, or of one that has its own prop."""


def _check_overrides(kind: str, overrides: Mapping[str, Any], accepted: Any, protected: Mapping[str, str]) -> None:
    known = set(inspect.signature(accepted).parameters) - {"self", "scope", "id", "user_pool"}
    for key in overrides:
        if key in protected:
            raise ProtectedSettingError(
                f"CaptchaAuth: the {kind} setting '{key}' can't be overridden: {protected[key]}"
            )
        if key in PROP_FOR:
            raise ProtectedSettingError(f"CaptchaAuth: set '{key}' with the construct's prop '{PROP_FOR[key]}'")
        if key not in known:
            raise ValueError(
                f"CaptchaAuth: '{key}' is not a {kind} setting (see aws_cognito's {accepted.__qualname__})"
            )


class CaptchaAuth(Construct):
    """User pool + custom-auth-only app client + define/create/verify/post-auth triggers.

    Props (all keyword-only):
        code: the trigger code: a `lambda_.Code` whose root holds the `captcha_auth` package
            and its dependencies. Default: `lambdas/` bundled for `runtime`.
        runtime: the triggers' Python runtime, one of SUPPORTED_RUNTIMES. Default PYTHON_3_14.
            The default bundle ships byte-code only when the Python running the synth is this
            runtime's version (otherwise Lambda compiles the code on every cold start): a
            deployer on Python 3.12 who picks PYTHON_3_12 gets byte-code, and faster cold starts.
        max_captcha_attempts: CAPTCHA rounds per sign-in before it fails (1-10). Default 3.
        auth_session_validity: how long one sign-in (password, then CAPTCHA) may take; Cognito
            allows 3-15 minutes. Default 3 minutes. Published as the stack output
            AuthSessionValidityMinutes for the clients.
        access_token_validity, id_token_validity: Default 60 minutes each.
        refresh_token_validity: Default 30 days. A refresh token signs in again without the
            CAPTCHA for as long as it lives.
        self_sign_up_enabled: let anyone create an account. Default False (admins create users).
        removal_policy: what happens to the pool and log groups when the stack is deleted.
            Default RETAIN, with deletion protection (user accounts outlive a mistaken
            `cdk destroy`).
        threat_protection: Plus feature plan with threat protection enforced for standard and
            custom auth. Default False (Plus is billed per monthly active user).
        log_retention: how long trigger logs are kept. Default three months.
        light_memory_mb: memory of define, verify and post-authentication. Default 512.
        create_memory_mb: memory of create (renders the CAPTCHA). Default 1024.
        lockout_after_failures: failed sign-ins (every CAPTCHA attempt spent) that lock a
            username. Default 5.
        lockout_window: the longest gap between failures that still add up. Default 15 minutes.
        lockout_backoff: how long the first lock lasts; each further failure doubles it.
            Default 5 minutes.
        lockout_max_backoff: the longest lock. Default 1 hour.
        counter_fail_open: when the failure counter can't be reached, let sign-ins go on
            uncounted instead of refusing them. Default False (fail closed).
        metrics_namespace: CloudWatch namespace of the triggers' metrics. Default "CaptchaSignIn".
        alarm_topic: an SNS topic the alarms notify. Default None (alarms only).
        alarms: create the four alarms. Default True; False leaves them out (the dashboard
            stays), for an account that alarms elsewhere or an emulator without metric math.
        lockout_alarm_threshold: refused locked-out sign-ins in 5 minutes that raise an alarm.
            Default 10.
        failure_ratio_alarm_threshold: share of finished sign-ins that failed the CAPTCHA, in
            5 minutes with at least 10 of them, that raises an alarm. Default 0.5.
        waf: an AWS WAF web ACL on the user pool (billed monthly and per request). Default False.
        waf_rate_limit: sign-in API requests per client IP per 5 minutes before WAF blocks it.
            Default 300 (a sign-in is three or more requests).
        captcha_provider: "builtin" (the image/audio CAPTCHA), or a managed provider:
            "turnstile", "recaptcha-v2", "recaptcha-v3", "hcaptcha". Default "builtin".
        captcha_site_key: the provider's public site key (required with a provider).
        captcha_secret: the provider's secret key as an existing secret (its SecretString is
            the key). Default: the construct creates one holding a random placeholder, which
            the operator replaces; until then every token is refused.
        captcha_hostnames: the hostnames the page is served from; a token solved anywhere else
            is refused (required with a provider).
        captcha_action: the action the widget is rendered for (Turnstile, reCAPTCHA v3).
            Default "sign_in".
        captcha_min_score: reCAPTCHA v3's lowest passing score. Default 0.5.
        captcha_max_age: how long after it was solved a token may be used. Default 5 minutes.
        captcha_verify_url: the provider's siteverify URL (a proxy or a local stand-in).
            Default: the provider's documented endpoint.
        user_pool_overrides: any other `cognito.UserPool` setting, e.g. sending email with SES:
            {"email": cognito.UserPoolEmail.with_ses(from_email="no-reply@example.com")}.
        client_overrides: any other `cognito.UserPoolClient` setting, e.g. {"read_attributes": ...}.
    """

    DEFAULT_MAX_CAPTCHA_ATTEMPTS = 3
    CAPTCHA_PROVIDERS = CAPTCHA_PROVIDERS
    MAX_CAPTCHA_ATTEMPTS_RANGE = range(1, 11)
    # The newest Python runtime in the pinned aws-cdk-lib, on Graviton.
    RUNTIME = lambda_.Runtime.PYTHON_3_14
    # The Python runtimes on Amazon Linux 2023 in the pinned aws-cdk-lib. Older ones run on
    # Amazon Linux 2 (glibc 2.26), too old for the locked Pillow's wheels (manylinux_2_27 and
    # later): they would deploy, then fail to import.
    SUPPORTED_RUNTIMES = ("python3.12", "python3.13", "python3.14")
    ARCHITECTURE = lambda_.Architecture.ARM_64
    # Cognito waits 5 s for a trigger, retries, and fails the call after three tries.
    TRIGGER_TIMEOUT = Duration.seconds(5)

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code | None = None,
        runtime: lambda_.Runtime | None = None,
        max_captcha_attempts: int = DEFAULT_MAX_CAPTCHA_ATTEMPTS,
        auth_session_validity: Duration | None = None,
        access_token_validity: Duration | None = None,
        id_token_validity: Duration | None = None,
        refresh_token_validity: Duration | None = None,
        self_sign_up_enabled: bool = False,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        threat_protection: bool = False,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        light_memory_mb: int = 512,
        create_memory_mb: int = 1024,
        lockout_after_failures: int = 5,
        lockout_window: Duration | None = None,
        lockout_backoff: Duration | None = None,
        lockout_max_backoff: Duration | None = None,
        counter_fail_open: bool = False,
        metrics_namespace: str = "CaptchaSignIn",
        alarm_topic: sns.ITopic | None = None,
        alarms: bool = True,
        lockout_alarm_threshold: int = 10,
        failure_ratio_alarm_threshold: float = 0.5,
        waf: bool = False,
        waf_rate_limit: int = 300,
        captcha_provider: str = "builtin",
        captcha_site_key: str | None = None,
        captcha_secret: secretsmanager.ISecret | None = None,
        captcha_hostnames: Sequence[str] = (),
        captcha_action: str = "sign_in",
        captcha_min_score: float = 0.5,
        captcha_max_age: Duration | None = None,
        captcha_verify_url: str | None = None,
        user_pool_overrides: Mapping[str, Any] | None = None,
        client_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if type(max_captcha_attempts) is not int or max_captcha_attempts not in self.MAX_CAPTCHA_ATTEMPTS_RANGE:
            first, last = self.MAX_CAPTCHA_ATTEMPTS_RANGE[0], self.MAX_CAPTCHA_ATTEMPTS_RANGE[-1]
            raise ValueError(f"max_captcha_attempts must be a whole number from {first} to {last}")
        user_pool_overrides = dict(user_pool_overrides or {})
        client_overrides = dict(client_overrides or {})
        _check_overrides("user pool", user_pool_overrides, cognito.UserPool.__init__, PROTECTED_POOL_SETTINGS)
        _check_overrides("app client", client_overrides, cognito.UserPoolClient.__init__, PROTECTED_CLIENT_SETTINGS)

        self.max_captcha_attempts = max_captcha_attempts
        self.auth_session_validity = auth_session_validity or Duration.minutes(3)
        self._removal_policy = removal_policy
        self._log_retention = log_retention
        self.runtime = runtime or self.RUNTIME
        if self.runtime.name not in self.SUPPORTED_RUNTIMES:
            why = _why_not(self.runtime, self.SUPPORTED_RUNTIMES)
            raise ValueError(f"runtime must be one of {', '.join(self.SUPPORTED_RUNTIMES)}: {why}")
        self._code = code or bundled_trigger_code(runtime=self.runtime, architecture=self.ARCHITECTURE)

        self._add_failure_counter(
            after_failures=lockout_after_failures,
            window=lockout_window or Duration.minutes(15),
            backoff=lockout_backoff or Duration.minutes(5),
            max_backoff=lockout_max_backoff or Duration.hours(1),
            fail_open=counter_fail_open,
        )
        self._add_captcha_provider(
            provider=captcha_provider,
            site_key=captcha_site_key,
            secret=captcha_secret,
            hostnames=captcha_hostnames,
            action=captcha_action,
            min_score=captcha_min_score,
            max_age=captcha_max_age or Duration.minutes(5),
            verify_url=captcha_verify_url,
        )
        self._add_triggers(light_memory_mb=light_memory_mb, create_memory_mb=create_memory_mb)
        self._grant_counter_to_define()
        if self.captcha_secret is not None:  # the verify trigger alone reads the provider's secret key
            self.verify_auth_challenge.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["secretsmanager:GetSecretValue"], resources=[self.captcha_secret.secret_arn]
                )
            )
        self.user_pool = self._add_user_pool(
            self_sign_up_enabled=self_sign_up_enabled, threat_protection=threat_protection, **user_pool_overrides
        )
        self.user_pool_client = self._add_app_client(
            access_token_validity=access_token_validity or Duration.minutes(60),
            id_token_validity=id_token_validity or Duration.minutes(60),
            refresh_token_validity=refresh_token_validity or Duration.days(30),
            **client_overrides,
        )
        self.web_acl = (
            SignInWebAcl(
                self, "Waf", user_pool=self.user_pool, rate_limit=waf_rate_limit, metric_prefix=metrics_namespace
            )
            if waf
            else None
        )
        self.monitoring = SignInMonitoring(
            self,
            "Monitoring",
            namespace=metrics_namespace,
            functions={
                "define": self.define_auth_challenge,
                "create": self.create_auth_challenge,
                "verify": self.verify_auth_challenge,
                "post": self.post_authentication,
            },
            log_groups=self.log_groups,
            lockout_threshold=lockout_alarm_threshold,
            failure_ratio_threshold=failure_ratio_alarm_threshold,
            alarm_topic=alarm_topic,
            alarms=alarms,
        )
        self._acknowledge_nag_findings(threat_protection=threat_protection, waf=waf)
        self.node.add_validation(SecurityInvariants(self))

    # --- The failure counter across sign-ins ------------------------------------------------

    def _add_failure_counter(
        self, *, after_failures: int, window: Duration, backoff: Duration, max_backoff: Duration, fail_open: bool
    ) -> None:
        """A DynamoDB table of failed sign-ins, keyed by an HMAC of the username whose key is
        generated at deploy time into Secrets Manager, so neither the template nor the table
        holds a username."""
        if type(after_failures) is not int or not 1 <= after_failures <= 100:
            raise ValueError("lockout_after_failures must be a whole number from 1 to 100")
        if not 0 < backoff.to_seconds() <= max_backoff.to_seconds():
            raise ValueError("lockout_backoff must be positive and no longer than lockout_max_backoff")
        self.failure_table = dynamodb.Table(
            self,
            "FailureCounter",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expires_at",
            deletion_protection=self._removal_policy == RemovalPolicy.RETAIN,
            removal_policy=self._removal_policy,
        )
        self.failure_key = secretsmanager.Secret(
            self,
            "FailureCounterKey",
            description="HMAC key for the sign-in failure counter's usernames (generated at deploy time)",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64, exclude_punctuation=True),
            removal_policy=self._removal_policy,
        )
        self._counter_settings = {
            "FAILURE_TABLE_NAME": self.failure_table.table_name,
            "FAILURE_KEY_SECRET_ARN": self.failure_key.secret_arn,
            "LOCKOUT_AFTER_FAILURES": str(after_failures),
            "LOCKOUT_WINDOW_SECONDS": str(int(window.to_seconds())),
            "LOCKOUT_BACKOFF_SECONDS": str(int(backoff.to_seconds())),
            "LOCKOUT_MAX_BACKOFF_SECONDS": str(int(max_backoff.to_seconds())),
            "COUNTER_FAIL_OPEN": "true" if fail_open else "false",
            **AWS_API_SETTINGS,
        }

    def _grant_counter_to_define(self) -> None:
        """Define alone touches the table, with the three calls it makes, and reads the key."""
        self.failure_table.grant(
            self.define_auth_challenge, "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
        )
        self.define_auth_challenge.add_to_role_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.failure_key.secret_arn])
        )

    # --- The challenge: built-in CAPTCHA or a managed provider --------------------------------

    def _add_captcha_provider(
        self,
        *,
        provider: str,
        site_key: str | None,
        secret: secretsmanager.ISecret | None,
        hostnames: Sequence[str],
        action: str,
        min_score: float,
        max_age: Duration,
        verify_url: str | None,
    ) -> None:
        """Validates the provider settings and prepares what Create and Verify read."""
        if provider not in CAPTCHA_PROVIDERS:
            raise ValueError(f"captcha_provider must be one of {', '.join(CAPTCHA_PROVIDERS)}")
        self.captcha_provider = provider
        self.captcha_secret: secretsmanager.ISecret | None = None
        self._create_provider_settings: dict[str, str] = {"CAPTCHA_PROVIDER": provider}
        self._verify_provider_settings: dict[str, str] = {"CAPTCHA_PROVIDER": provider}
        if provider == "builtin":
            return
        if not site_key or not all(ch.isalnum() or ch in "-_" for ch in site_key):
            raise ValueError(f"captcha_site_key (the {provider} site key) is required with captcha_provider={provider}")
        names = [name.strip().lower() for name in hostnames if name.strip()]
        if not names or any("," in name or "/" in name for name in names):
            raise ValueError("captcha_hostnames must name the page's hostnames (e.g. app.example.com)")
        if not 0 <= min_score <= 1:
            raise ValueError("captcha_min_score must be between 0 and 1")
        url = verify_url or PROVIDER_VERIFY_URLS[provider]
        parts = urlsplit(url)
        loopback = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
        if not (parts.scheme == "https" or loopback) or not parts.hostname or "@" in parts.netloc:
            raise ValueError("captcha_verify_url must be https (or http on this machine's loopback address)")
        self.captcha_secret = secret or secretsmanager.Secret(
            self,
            "CaptchaProviderSecret",
            description=f"The {provider} secret key: replace this random placeholder with your key",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=48, exclude_punctuation=True),
            removal_policy=self._removal_policy,
        )
        self._create_provider_settings["CAPTCHA_SITE_KEY"] = site_key
        if provider in PROVIDERS_WITH_ACTION:
            self._create_provider_settings["CAPTCHA_ACTION"] = action
        self._verify_provider_settings.update(
            {
                "CAPTCHA_VERIFY_URL": url,
                "CAPTCHA_SECRET_ARN": self.captcha_secret.secret_arn,
                "CAPTCHA_HOSTNAMES": ",".join(names),
                "CAPTCHA_MAX_AGE_SECONDS": str(int(max_age.to_seconds())),
                **AWS_API_SETTINGS,
            }
        )
        if provider == "recaptcha-v3":
            self._verify_provider_settings["CAPTCHA_MIN_SCORE"] = str(min_score)
        if provider == "hcaptcha":  # hCaptcha checks the token was made for this site key
            self._verify_provider_settings["CAPTCHA_SITE_KEY"] = site_key

    # --- The four triggers ------------------------------------------------------------------

    def _add_triggers(self, *, light_memory_mb: int, create_memory_mb: int) -> None:
        attempts = {"MAX_CAPTCHA_ATTEMPTS": str(self.max_captcha_attempts)}
        # Each function's log group, by its short name: the metric filters read them.
        self.log_groups: dict[str, logs.LogGroup] = {}
        self.define_auth_challenge = self._trigger(
            "DefineAuthChallenge", "define_auth_challenge", light_memory_mb,
            {**attempts, **self._counter_settings},
            "Password first, then CAPTCHA; deny by default",
        )  # fmt: skip
        self.create_auth_challenge = self._trigger(
            "CreateAuthChallenge", "create_auth_challenge", create_memory_mb,
            {**attempts, **self._create_provider_settings},
            "Renders a CAPTCHA (image or audio), or names the managed provider's widget",
        )  # fmt: skip
        self.verify_auth_challenge = self._trigger(
            "VerifyAuthChallenge", "verify_auth_challenge", light_memory_mb,
            dict(self._verify_provider_settings),
            "Checks a CAPTCHA answer or a provider's token",
        )  # fmt: skip
        self.post_authentication = self._trigger(
            "PostAuthentication", "post_authentication", light_memory_mb, {}, "Writes a sign-in audit record"
        )

    def _trigger(
        self, name: str, module: str, memory_mb: int, settings: dict[str, str], description: str
    ) -> lambda_.Function:
        """One trigger with its own log group and role, and only the variables it reads."""
        log_group = logs.LogGroup(
            self, f"{name}Logs", retention=self._log_retention, removal_policy=self._removal_policy
        )
        self.log_groups[module.split("_")[0]] = log_group  # define, create, verify, post
        # Our own role: write access to this function's log group only, instead of the
        # account-wide AWSLambdaBasicExecutionRole managed policy.
        role = iam.Role(self, f"{name}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        log_group.grant_write(role)
        function = lambda_.Function(
            self,
            name,
            description=description,
            runtime=self.runtime,
            architecture=self.ARCHITECTURE,
            handler=f"captcha_auth.{module}.lambda_handler",
            code=self._code,
            memory_size=memory_mb,
            timeout=self.TRIGGER_TIMEOUT,
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            # Only what the handler reads (a function with none gets no Environment block).
            environment=settings or None,
        )
        if self.runtime.name != self.RUNTIME.name:  # a supported runtime, chosen over the newest
            Validations.of(function).acknowledge(Acknowledgment(id=OLDER_RUNTIME, reason=CHOSEN_RUNTIME))
        return function

    # --- The user pool and its one app client -----------------------------------------------

    def _add_user_pool(
        self, *, self_sign_up_enabled: bool, threat_protection: bool, **overrides: Any
    ) -> cognito.UserPool:
        settings: dict[str, Any] = {
            "sign_in_aliases": cognito.SignInAliases(email=True),
            "sign_in_case_sensitive": False,
            "auto_verify": cognito.AutoVerifiedAttrs(email=True),
            # A changed email takes effect only once the new address is verified: until then
            # sign-in and the ID token keep the old one, so nobody can point an account at an
            # address they don't hold.
            "keep_original": cognito.KeepOriginalAttrs(email=True),
            "standard_attributes": cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            "password_policy": cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            "account_recovery": cognito.AccountRecovery.EMAIL_ONLY,
            "mfa": cognito.Mfa.OFF,
            **overrides,
        }
        threat_mode = cognito.StandardThreatProtectionMode.FULL_FUNCTION if threat_protection else None
        return cognito.UserPool(
            self,
            "UserPool",
            **settings,
            self_sign_up_enabled=self_sign_up_enabled,
            feature_plan=cognito.FeaturePlan.PLUS if threat_protection else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=threat_mode,
            custom_threat_protection_mode=(
                cognito.CustomThreatProtectionMode.FULL_FUNCTION if threat_protection else None
            ),
            deletion_protection=self._removal_policy == RemovalPolicy.RETAIN,
            removal_policy=self._removal_policy,
            lambda_triggers=cognito.UserPoolTriggers(
                define_auth_challenge=self.define_auth_challenge,
                create_auth_challenge=self.create_auth_challenge,
                verify_auth_challenge_response=self.verify_auth_challenge,
                post_authentication=self.post_authentication,
            ),
        )

    def _add_app_client(self, **settings: Any) -> cognito.UserPoolClient:
        settings.setdefault("enable_token_revocation", True)
        # What a signed-in user may read and change through this client: their email and whether
        # it is verified, and a new email (which keep_original holds back until verified).
        # Explicit, because a client without these lists (or with an empty one) gets every
        # standard attribute. Widen them with client_overrides.
        email = cognito.ClientAttributes().with_standard_attributes(email=True)
        settings.setdefault("read_attributes", email.with_standard_attributes(email_verified=True))
        settings.setdefault("write_attributes", email)
        return self.user_pool.add_client(
            "AppClient",
            **settings,
            auth_session_validity=self.auth_session_validity,
            # CUSTOM_AUTH carries SRP (password first) and the CAPTCHA; refresh is added by CDK.
            auth_flows=cognito.AuthFlow(custom=True),
            generate_secret=False,
            disable_o_auth=True,
            prevent_user_existence_errors=True,
        )

    def _acknowledge_nag_findings(self, *, threat_protection: bool, waf: bool) -> None:
        """cdk-nag findings this design accepts on purpose, each with its reason (nag.py)."""
        for finding_id, reason in acknowledged_findings(threat_protection=threat_protection, waf=waf).items():
            Validations.of(self).acknowledge(Acknowledgment(id=finding_id, reason=reason))
        rotation = Acknowledgment(id=SECRET_ROTATION, reason=COUNTER_KEY_NOT_ROTATED)
        Validations.of(self.failure_key).acknowledge(rotation)
        if isinstance(self.captcha_secret, secretsmanager.Secret) and self.captcha_secret.node.scope is self:
            Validations.of(self.captcha_secret).acknowledge(
                Acknowledgment(id=SECRET_ROTATION, reason=PROVIDER_KEY_NOT_ROTATED)
            )


def _why_not(runtime: lambda_.Runtime, supported: Sequence[str]) -> str:
    """Why CaptchaAuth refuses `runtime` (not one of `supported`), for its error message."""
    version = re.fullmatch(r"python3\.(\d+)", runtime.name)
    if runtime.family != lambda_.RuntimeFamily.PYTHON or version is None:
        return "the triggers are Python"
    if int(version[1]) < min(int(name.removeprefix("python3.")) for name in supported):
        return "older Python runtimes run on Amazon Linux 2 or older, whose glibc is too old for the bundled Pillow"
    return "a newer runtime is taken once the pinned aws-cdk-lib and the trigger code are checked with it"


@jsii.implements(IValidation)
class SecurityInvariants:
    """Checked at synth, after every override: each app client of the pool signs in only through
    CUSTOM_AUTH. A second client added with `user_pool.add_client()` and CDK's defaults would
    otherwise sign in with a password alone. (The triggers can't be replaced: `lambda_triggers`
    is protected, and CDK refuses a second trigger for the same operation.)"""

    def __init__(self, auth: CaptchaAuth) -> None:
        self._auth = auth

    def validate(self) -> list[str]:
        auth, errors = self._auth, []
        pool_id = auth.user_pool.user_pool_id
        for node in Stack.of(auth).node.find_all():
            if not isinstance(node, cognito.CfnUserPoolClient) or node.user_pool_id != pool_id:
                continue
            name = node.node.path
            if sorted(node.explicit_auth_flows or []) != CUSTOM_AUTH_FLOWS:
                errors.append(f"{name}: auth flows must be exactly {CUSTOM_AUTH_FLOWS}")
            if node.generate_secret:
                errors.append(f"{name}: a public client must not have a secret")
            if node.allowed_o_auth_flows_user_pool_client is not False:
                errors.append(f"{name}: OAuth must be off (disable_o_auth=True)")
            if node.prevent_user_existence_errors != "ENABLED":
                errors.append(f"{name}: prevent_user_existence_errors must be on")
        return errors
