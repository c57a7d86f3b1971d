"""What tells an operator an attack is going on: the triggers' metrics, four alarms, a dashboard.

The metrics are counted from the triggers' own log lines (one compact JSON line per decision,
lambdas/captcha_auth/common.py) by metric filters on each function's log group: no extra log
line and no PutMetricData call. One namespace, no dimension: SignInPassed, WrongAnswer,
AttemptsExhausted, LockedOut, CaptchaImage, CaptchaAudio, CaptchaProvider, TriggerError,
CounterUnreachable, ProviderError, ProviderTokenRefused.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

PERIOD = Duration.minutes(5)
# Below this many finished sign-ins in 5 minutes the failure ratio says nothing.
RATIO_MIN_SIGN_INS = 10

# Which log lines count as one of each metric, per function: a line matches when any of the
# (field, value) pairs does. The unit tests run the handlers and check these against the lines
# they really write.
_INTERNAL_ERROR = (("error", "internal"),)
METRIC_FILTERS: dict[str, dict[str, tuple[tuple[str, str], ...]]] = {
    "define": {
        "WrongAnswer": (("reason", "captcha_retry"), ("reason", "attempts_exhausted")),
        "AttemptsExhausted": (("reason", "attempts_exhausted"),),
        "LockedOut": (("reason", "locked_out"),),
        "CounterUnreachable": (("error", "counter_unreachable"),),
        "TriggerError": _INTERNAL_ERROR,
    },
    "create": {
        "CaptchaImage": (("format", "image"),),
        "CaptchaAudio": (("format", "audio"),),
        "CaptchaProvider": (("format", "provider"),),
        "TriggerError": _INTERNAL_ERROR,
    },
    "verify": {
        "ProviderError": (("error", "provider"),),
        "ProviderTokenRefused": (("reason", "token_refused"),),
        "TriggerError": _INTERNAL_ERROR,
    },
    "post": {
        "SignInPassed": (("message", "sign_in"),),
        "TriggerError": _INTERNAL_ERROR,
    },
}


def filter_pattern(alternatives: tuple[tuple[str, str], ...]) -> str:
    """CloudWatch Logs' JSON filter pattern for `alternatives`."""
    return "{ " + " || ".join(f'($.{field} = "{value}")' for field, value in alternatives) + " }"


class SignInMonitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        namespace: str,
        functions: dict[str, lambda_.IFunction],
        log_groups: Mapping[str, logs.ILogGroup],
        lockout_threshold: int,
        failure_ratio_threshold: float,
        alarm_topic: sns.ITopic | None,
        alarms: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        if type(lockout_threshold) is not int or lockout_threshold < 1:
            raise ValueError("lockout_alarm_threshold must be a whole number >= 1")
        if not 0 < failure_ratio_threshold < 1:
            raise ValueError("failure_ratio_alarm_threshold must be between 0 and 1")

        for function, filters in METRIC_FILTERS.items():
            for metric_name, alternatives in filters.items():
                logs.MetricFilter(
                    self,
                    f"{function.capitalize()}{metric_name}",
                    log_group=log_groups[function],
                    filter_pattern=logs.FilterPattern.literal(filter_pattern(alternatives)),
                    metric_namespace=namespace,
                    metric_name=metric_name,
                    metric_value="1",
                    unit=cloudwatch.Unit.COUNT,
                )

        def ours(name: str, label: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=namespace,
                metric_name=name,
                statistic="Sum",
                period=PERIOD,
                label=label,
            )

        self.passed = ours("SignInPassed", "Sign-ins passed")
        self.wrong = ours("WrongAnswer", "Wrong answers")
        self.exhausted = ours("AttemptsExhausted", "Sign-ins with every attempt spent")
        self.locked = ours("LockedOut", "Refused: locked out")
        self.trigger_errors = ours("TriggerError", "Errors handled in a trigger")
        self.unreachable = ours("CounterUnreachable", "Failure counter unreachable")
        self.provider_errors = ours("ProviderError", "Managed provider unreachable or unreadable")
        lambda_errors = {
            name: function.metric_errors(period=PERIOD, statistic="Sum", label=f"{name} errors")
            for name, function in functions.items()
        }

        # Every error, handled or not, less the lockouts: Define refuses a locked username by
        # raising (the only way its message reaches the client), which Lambda counts as an error.
        errors = cloudwatch.MathExpression(
            expression=" + ".join(f"FILL({key}, 0)" for key in [*lambda_errors, "handled", "provider"])
            + " - FILL(locked, 0)",
            using_metrics={
                **lambda_errors,
                "handled": self.trigger_errors,
                "provider": self.provider_errors,
                "locked": self.locked,
            },
            period=PERIOD,
            label="Trigger errors",
        )
        ratio = cloudwatch.MathExpression(
            expression=(
                f"IF(FILL(p, 0) + FILL(x, 0) >= {RATIO_MIN_SIGN_INS}, FILL(x, 0) / (FILL(p, 0) + FILL(x, 0)), 0)"
            ),
            using_metrics={"p": self.passed, "x": self.exhausted},
            period=PERIOD,
            label="Share of finished sign-ins that failed the CAPTCHA",
        )

        def alarm(
            name: str, metric: cloudwatch.Metric | cloudwatch.MathExpression, threshold: float, description: str
        ) -> cloudwatch.Alarm:
            created = metric.create_alarm(
                self,
                name,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description,
            )
            if alarm_topic is not None:
                created.add_alarm_action(actions.SnsAction(alarm_topic))
            return created

        self.alarms = (
            []
            if not alarms
            else [
                alarm(
                    "TriggerErrors", errors, 1, "A sign-in trigger failed or met something unexpected; see its logs."
                ),
                alarm(
                    "CounterUnreachable",
                    self.unreachable,
                    1,
                    "Define could not reach the failure counter; sign-ins are refused (or, fail-open, not counted).",
                ),
                alarm(
                    "LockOuts",
                    self.locked,
                    lockout_threshold,
                    f"{lockout_threshold}+ sign-ins refused for locked usernames in 5 minutes: likely a bot.",
                ),
                alarm(
                    "FailureRatio",
                    ratio,
                    failure_ratio_threshold,
                    f"At least {failure_ratio_threshold:.0%} of finished sign-ins failed the CAPTCHA in 5 minutes.",
                ),
            ]
        )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        if self.alarms:
            self.dashboard.add_widgets(
                cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=3)
            )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Sign-ins", left=[self.passed, self.wrong, self.exhausted, self.locked], width=12
            ),
            cloudwatch.GraphWidget(
                title="CAPTCHA format",
                left=[
                    ours("CaptchaImage", "Image"),
                    ours("CaptchaAudio", "Audio"),
                    ours("CaptchaProvider", "Provider"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(title="Failure ratio", left=[ratio], width=12, left_y_axis={"min": 0, "max": 1}),
            cloudwatch.GraphWidget(title="Errors", left=[errors, self.unreachable, self.provider_errors], width=12),
        )
