"""Infrastructure: the reusable CaptchaAuth construct and the stack that deploys it."""
