"""End-to-end replays through a webhook: the fake Telegram server POSTs each update to the bot.

The polling mode (:mod:`engine.replay.e2e`) starts the bot process itself. A webhook bot is a
deployment instead (for example ``gunicorn run_bot:app`` with several workers behind nginx),
so here the caller starts it, with ``TELEGRAM_API_URL`` and ``BOT_TOKEN`` of the fake server,
and registers the webhook (``setWebhook`` on the fake); this session only plays the users
and reads back what the bot did, with the same driver and the same assertions as polling.
A webhook update is answered 2xx only once processed, so "the fake server is idle" still
means "the step is done".
"""

from __future__ import annotations

from pathlib import Path

from engine.replay.coverage import Coverage
from engine.replay.e2e import BotProcessError, E2EDriver, EndToEnd, real_mongo_uri
from engine.replay.target import Target, load_target


class WebhookEndToEnd(EndToEnd):
    """Scripts against a bot that receives its updates by webhook from ``fake``.

    ``uri`` is the database the bot uses (default ``MONGO_URI``); fixtures and probes reach
    it from here. ``coverage_file`` is the bot's ``ENGINE_COVERAGE_FILE``, when it records
    one (every worker appends to it). Neither the bot nor ``fake`` is stopped by
    :meth:`close`: their owner stops them.
    """

    def __init__(self, target: Target | str, fake, *, uri: str | None = None,
                 coverage_file: str | Path | None = None) -> None:
        self.target = load_target(target) if isinstance(target, str) else target
        self.uri = uri or real_mongo_uri()
        self.flowset = self.target.load_flows() if self.target.load_flows else None
        self.coverage_file = Path(coverage_file) if coverage_file else None
        self.fake = fake
        if not fake.webhook_info().get("url"):
            raise BotProcessError("no webhook is set on the fake Telegram server: register the "
                                  "bot's URL first (setWebhook, or run_bot.py set-webhook)")
        self.target.connect(self.uri)
        self.reset()
        self._recorder = None
        if self.coverage_file is not None:  # lifecycle changes the scripts' hooks make here
            from engine import lifecycle
            from engine.replay.coverage import FileRecorder

            self._recorder = FileRecorder(str(self.coverage_file)).lifecycle
            lifecycle.observers.append(self._recorder)

    def _driver(self, runner, script) -> E2EDriver:
        self.reset()
        if script.parties:  # the deployment's outbox workers must be running beside it
            from engine.replay.e2e_party import E2EPartiesDriver

            return E2EPartiesDriver(self, script)
        return E2EDriver(self, script.user)

    def coverage(self) -> Coverage | None:
        if self.coverage_file is None:
            return None
        return super().coverage()

    def output(self) -> str:
        return ""  # the bot's output is its deployment's to keep

    def log_size(self) -> int:
        return 0  # no log of the deployment's here: a failure report has no engine line

    def log_since(self, offset: int) -> str:
        return ""

    def close(self) -> None:
        from engine import lifecycle

        if self._recorder in lifecycle.observers:
            lifecycle.observers.remove(self._recorder)
