"""CaptchaAuth: a Cognito user pool whose only sign-in is password (SRP) first, then a CAPTCHA.

The construct owns the pool, the app client and the four trigger functions, and exposes each
as a public attribute. Every prop is keyword-only and defaults to the secure choice; the
README's "Default settings" table gives the reason for each.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.bundling import AWS_LAMBDA_TARGET, LambdaTarget, trigger_code

DEFAULT_MAX_CAPTCHA_ATTEMPTS = 3  # matches captcha_auth.common.MAX_CAPTCHA_ATTEMPTS
# Cognito waits 5 s for a trigger, retries, and fails the call after three tries.
COGNITO_TRIGGER_TIMEOUT = Duration.seconds(5)


class CaptchaAuth(Construct):
    """User pool + custom-auth-only app client + define/create/verify/post-auth triggers.

    Props (all keyword-only):
        max_captcha_attempts: CAPTCHA rounds per sign-in before it fails (1-10). Default 3.
        self_sign_up_enabled: let anyone create an account. Default False (admins create users).
        removal_policy: what happens to the pool and log groups when the stack is deleted.
            Default RETAIN (user accounts outlive a mistaken `cdk destroy`).
        threat_protection: Plus feature plan with threat protection enforced for standard and
            custom auth. Default False (Plus is billed per monthly active user).
        log_retention: how long trigger logs are kept. Default three months.
        light_memory_mb: memory of define, verify and post-authentication. Default 512.
        create_memory_mb: memory of create (renders the CAPTCHA). Default 1024.
        lambda_target: runtime, architecture and wheel platform. Default AWS (Python 3.14, arm64).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        max_captcha_attempts: int = DEFAULT_MAX_CAPTCHA_ATTEMPTS,
        self_sign_up_enabled: bool = False,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        threat_protection: bool = False,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        light_memory_mb: int = 512,
        create_memory_mb: int = 1024,
        lambda_target: LambdaTarget = AWS_LAMBDA_TARGET,
    ) -> None:
        super().__init__(scope, construct_id)
        if type(max_captcha_attempts) is not int or not 1 <= max_captcha_attempts <= 10:
            raise ValueError("max_captcha_attempts must be between 1 and 10")

        code = trigger_code(lambda_target)
        environment = {
            "POWERTOOLS_SERVICE_NAME": "captcha-auth",
            "POWERTOOLS_LOGGER_LOG_EVENT": "false",
            "MAX_CAPTCHA_ATTEMPTS": str(max_captcha_attempts),
        }

        def trigger(name: str, module: str, memory_mb: int, description: str) -> lambda_.Function:
            log_group = logs.LogGroup(self, f"{name}Logs", retention=log_retention, removal_policy=removal_policy)
            # Our own role: write access to this function's log group only, instead of the
            # account-wide AWSLambdaBasicExecutionRole managed policy.
            role = iam.Role(self, f"{name}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
            log_group.grant_write(role)
            return lambda_.Function(
                self,
                name,
                description=description,
                runtime=lambda_target.runtime,
                architecture=lambda_target.architecture,
                handler=f"captcha_auth.{module}.lambda_handler",
                code=code,
                memory_size=memory_mb,
                timeout=COGNITO_TRIGGER_TIMEOUT,
                role=role,
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
                system_log_level_v2=lambda_.SystemLogLevel.WARN,
                environment=environment,
            )

        self.define_auth_challenge = trigger(
            "DefineAuthChallenge",
            "define_auth_challenge",
            light_memory_mb,
            "Password first, then CAPTCHA; deny by default",
        )
        self.create_auth_challenge = trigger(
            "CreateAuthChallenge", "create_auth_challenge", create_memory_mb, "Renders a CAPTCHA (image or audio)"
        )
        self.verify_auth_challenge = trigger(
            "VerifyAuthChallenge", "verify_auth_challenge", light_memory_mb, "Checks a CAPTCHA answer"
        )
        self.post_authentication = trigger(
            "PostAuthentication", "post_authentication", light_memory_mb, "Writes a sign-in audit record"
        )

        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            self_sign_up_enabled=self_sign_up_enabled,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            mfa=cognito.Mfa.OFF,
            feature_plan=cognito.FeaturePlan.PLUS if threat_protection else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if threat_protection else None
            ),
            custom_threat_protection_mode=(
                cognito.CustomThreatProtectionMode.FULL_FUNCTION if threat_protection else None
            ),
            deletion_protection=removal_policy == RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
            lambda_triggers=cognito.UserPoolTriggers(
                define_auth_challenge=self.define_auth_challenge,
                create_auth_challenge=self.create_auth_challenge,
                verify_auth_challenge_response=self.verify_auth_challenge,
                post_authentication=self.post_authentication,
            ),
        )

        self.user_pool_client = self.user_pool.add_client(
            "AppClient",
            # CUSTOM_AUTH carries SRP (password first) and the CAPTCHA; refresh is added by CDK.
            # No USER_PASSWORD, USER_SRP or USER_AUTH flow: each would skip the CAPTCHA.
            auth_flows=cognito.AuthFlow(custom=True),
            generate_secret=False,
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            auth_session_validity=Duration.minutes(3),
            access_token_validity=Duration.minutes(60),
            id_token_validity=Duration.minutes(60),
            refresh_token_validity=Duration.days(30),
        )
