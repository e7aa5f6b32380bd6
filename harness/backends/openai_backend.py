"""OpenAI-compatible HTTP backend: ``vllm serve``, SGLang, DeepSeek's API, any server
that speaks ``/v1/chat/completions`` and ``/v1/completions``.

Requests
    Chat requests (``messages``) go to ``/chat/completions`` (``endpoint="chat"``, the
    default); raw ``prompt`` requests always go to ``/completions``, and their
    ``prompt_text`` is the prompt sent. The body carries ``model``, ``n`` (omitted when
    1), ``temperature``, ``top_p``, ``max_tokens``, ``stop`` (when set), ``seed`` (the
    request's seed) and ``extra_body`` (server-specific options such as vLLM's
    ``top_k`` or ``chat_template_kwargs``; it may not override the fields above).
    Greedy requests (temperature 0) are sent once with ``n=1`` and the result is copied
    ``n`` times, as the transformers backend does (vLLM refuses ``n > 1`` when greedy).
    Sampling options the request leaves out take the server's defaults: vLLM fills
    ``top_k``, ``min_p`` and ``repetition_penalty`` from the model's
    ``generation_config.json`` unless started with ``--generation-config vllm`` or given
    ``extra_body={"top_k": -1, "min_p": 0, "repetition_penalty": 1}`` (the transformers
    backend switches them off); they are not sent by default because OpenAI's own API
    rejects unknown fields.

``n`` and fan-out
    The ``n`` samples of a request are asked for natively (``n`` choices in one call).
    A server that returns fewer choices than asked (DeepSeek's API ignores ``n``) gets
    the missing samples ``i`` as separate ``n=1`` calls with ``seed = request.seed + i``,
    and is remembered (per base URL) to return at most that many choices, so later
    requests ask it for only that many natively and fan out the rest at once. Sample
    ``i`` therefore depends only on (model, prompt, sampling, seed) and the server's
    choice cap, never on the order of requests; but a fanned-out sample is not the
    sample a server honouring ``n`` would have produced (different seed, separate call).

Token counts
    ``prompt_tokens`` is ``usage.prompt_tokens`` on every sample. With one choice per
    call, ``completion_tokens`` is exact. With several choices, servers report only the
    sum over choices: unless a choice carries its own ``usage.completion_tokens``, the
    total is recorded on the first sample of the call and None on the others (summing a
    request's counts gives the true total; per-sample counts are unknown).
    ``thinking_tokens`` is ``usage.completion_tokens_details.reasoning_tokens`` under the
    same rule, None when the server does not report it (never estimated from the text).

Other fields
    ``text`` is ``message.content`` (chat) or ``text`` (completions); ``thinking`` is
    ``message.reasoning_content`` or ``message.reasoning`` (the name newer vLLM
    releases use), None when the server did not separate reasoning. ``finish_reason`` is
    ``"length"`` when the server says so, else ``"stop"`` (the server's own value is kept
    in ``extra["server_finish_reason"]`` when it is neither). ``latency_s`` is the wall
    time of the HTTP call that produced the sample (the successful attempt: no backoff,
    no local queueing). ``prompt_text`` is None for chat requests: the server renders
    the chat template and does not return it.

Failures and retries
    429, 408, 5xx, timeouts, refused / dropped connections, truncated or malformed
    bodies and choices the server reports as aborted (``finish_reason`` ``abort`` or
    ``insufficient_system_resource``) are retried up to ``max_retries`` times, with
    exponential backoff and full jitter (``uniform(0, min(backoff_max_s, backoff_base_s *
    2**attempt))``); a ``Retry-After`` header (seconds or HTTP date) replaces the jittered
    delay, capped at ``backoff_max_s``. Any other 4xx fails at once. A request that
    cannot be completed raises :class:`BackendError` with a one-line message naming the
    server and the failure, after the requests that had already finished were yielded.

Several base URLs
    Each call (and each retry) goes to the base URL with the fewest calls in flight,
    ties broken round-robin; a URL that failed ``QUARANTINE_AFTER`` times in a row is
    skipped for an exponentially growing cool-down (at most ``backoff_max_s``) while
    another is available, and a retry avoids the URL that just failed.

Concurrency
    At most ``concurrency`` HTTP calls are in flight (fan-out calls included), at most
    ``concurrency`` requests are being worked on, and at most ``concurrency`` finished
    requests wait for the caller: requests are taken from the input iterable only as
    capacity frees. The HTTP client runs on an asyncio loop in a background thread;
    :meth:`OpenAIBackend.generate` is an ordinary (synchronous) generator. A freed slot's
    next request is sent before the finished one is handed to the caller, and requests
    finishing together are handed over as one batch, so the caller's thread (and its
    claim on the GIL) wakes once per batch and after the sends (docs/performance.md).

The API key is read once from the environment variable named by ``api_key_env`` (none
is fine for local servers), sent only in the ``Authorization`` header, and never
appears in ``describe()``, reprs, logs or exception messages (a server message that
echoes it is redacted). Proxy settings and ``.netrc`` from the environment are not used.
"""
from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import os
import queue
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

from harness.backends.base import BackendError, Generation, GenerationRequest
from harness.errors import UsageError
from harness.secrets import RedactingFilter, redact_text

try:
    import aiohttp
except ImportError:  # an optional extra: say how to get it instead of a traceback
    raise UsageError("--backend openai needs aiohttp: pip install -e '.[openai]' (or pip install aiohttp)") from None

log = logging.getLogger(__name__)
log.addFilter(RedactingFilter())  # URLs and server messages in warnings

ENDPOINTS = ("chat", "completions")
# Body fields the backend owns: extra_body may not override them.
RESERVED_BODY = frozenset({"model", "messages", "prompt", "n", "seed", "stream", "temperature", "top_p",
                           "max_tokens", "max_completion_tokens", "stop"})
RETRY_STATUS = frozenset({408, 429})
ABORTED_FINISH = frozenset({"abort", "insufficient_system_resource"})
QUARANTINE_AFTER = 3  # consecutive failures before a base URL is avoided for a while
CONNECT_TIMEOUT_S = 30.0
_MESSAGE_CHARS = 300
_CONNECT_TIMEOUT = getattr(aiohttp, "ConnectionTimeoutError", ())  # aiohttp >= 3.10




class _Rejected(BackendError):
    """The server refused the request (a 4xx other than 408/429): retrying cannot help."""


class _Transient(Exception):
    """One failed attempt that may succeed when retried."""

    def __init__(self, kind: str, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.kind = kind  # "connect", "timeout", "drop", "http", "malformed", "aborted"
        self.reason = reason
        self.retry_after = retry_after


class _Secret:
    """Holds the API key; prints as *** everywhere."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None):
        self._value = value

    def get(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "***" if self._value else "None"

    __str__ = __repr__


@dataclass(eq=False)
class _Server:
    label: str  # the base URL as given (credentials masked, no trailing slash): used in messages
    root: str  # API root the paths are appended to, ending in /v1 unless given otherwise
    has_userinfo: bool = False  # the URL carries user:password@ (sent as basic auth)
    in_flight: int = 0
    failures: int = 0  # consecutive
    down_until: float = 0.0
    max_n: int | None = None  # most choices per call this server returns (None: it honours n)
    calls: int = 0  # successful calls


@dataclass
class _Call:
    data: dict
    server: _Server
    latency: float
    n: int  # choices asked for


@dataclass
class _Ctx:
    """What one operation (a ``generate`` or ``describe`` call) runs with: its own
    event loop's HTTP session and the semaphore bounding calls in flight."""

    session: aiohttp.ClientSession
    slots: asyncio.Semaphore


class _DriveState:
    """Shared between the driver (on its event loop thread) and the consuming thread.

    ``undelivered`` counts finished requests the consumer has not taken yet; a worker
    takes a new request only while it is below ``limit``. The consumer wakes the loop
    only when a worker is actually waiting for room: one cross-thread wake-up per stall,
    not one per request (each costs the loop thread a wake-up and a GIL hand-off)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.undelivered = 0
        self.waiting = False  # a worker waits for the consumer
        self.lock = threading.Lock()
        self.room = asyncio.Event()  # set on the loop thread only
        self.ready: list = []  # finished results not yet handed over (loop thread)
        self.stop = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None

    def produced(self) -> None:
        """A request finished (loop thread)."""
        with self.lock:
            self.undelivered += 1

    def delivered(self) -> None:
        """The consumer took a finished request (consuming thread)."""
        with self.lock:
            self.undelivered -= 1
            wake = self.waiting and self.undelivered < self.limit
            if wake:
                self.waiting = False
        if wake:
            self.call(self.room.set)

    def hand_over(self, out: queue.Queue) -> None:
        """Put the finished results into ``out`` as one batch: one wake-up of the
        consumer for all the requests that finished in the same loop iteration."""
        batch, self.ready = self.ready, []
        if batch:
            out.put(batch)

    async def wait_for_room(self) -> None:
        """Return once fewer than ``limit`` finished requests wait for the consumer (loop thread)."""
        while True:
            with self.lock:
                if self.undelivered < self.limit:
                    return
                self.waiting = True
                self.room.clear()
            await self.room.wait()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def call(self, fn) -> None:
        """Run ``fn`` on the driver's loop, from the consuming thread; a no-op once it has ended."""
        loop = self.loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(fn)
        except RuntimeError:  # the loop is closed: the driver is done
            pass


_DONE = object()


@dataclass
class _Failure:
    exc: BaseException


class OpenAIBackend:
    """Generate through an OpenAI-compatible server (or a fleet of them).

    ``base_url``: one URL or a list (e.g. ``http://127.0.0.1:8000`` or
    ``https://api.deepseek.com/v1``; a URL without a path gets ``/v1``).
    ``api_key_env``: the environment variable holding the key (unset is fine for local
    servers). ``endpoint``: ``"chat"`` or ``"completions"`` for chat requests (the
    latter cannot send chat messages and exists for servers without a chat route, used
    with ``--prompt-mode base``). ``timeout_s`` applies per HTTP attempt.
    """

    name = "openai"

    def __init__(
        self,
        model: str,
        *,
        base_url: str | list[str] | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        endpoint: str = "chat",
        concurrency: int = 32,
        timeout_s: float = 600,
        max_retries: int = 8,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 60.0,
        extra_body: dict | None = None,
        **unknown,
    ):
        if unknown:
            raise UsageError(
                f"unknown --model-args for --backend openai: {', '.join(sorted(unknown))} (options: base_url, "
                "api_key_env, endpoint, concurrency, timeout_s, max_retries, backoff_base_s, backoff_max_s, "
                "extra_body; the API key goes in the environment variable named by api_key_env)"
            )
        if not model:
            raise UsageError("--backend openai needs --model NAME (the model name the server serves)")
        urls = [base_url] if isinstance(base_url, str) else list(base_url or [])
        if not urls or not all(isinstance(u, str) and u.strip() for u in urls):
            raise UsageError("--backend openai needs --model-args base_url=http://HOST:PORT (or a JSON list of URLs)")
        if endpoint not in ENDPOINTS:
            raise UsageError(f"endpoint must be one of {', '.join(ENDPOINTS)}, got {endpoint!r}")
        checks = [
            (not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1,
             f"concurrency must be a whole number >= 1, got {concurrency!r}"),
            (not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0,
             f"max_retries must be a whole number >= 0, got {max_retries!r}"),
            (not _number(timeout_s) or timeout_s <= 0, f"timeout_s must be a positive number, got {timeout_s!r}"),
            (not _number(backoff_base_s) or backoff_base_s < 0, f"backoff_base_s must be >= 0, got {backoff_base_s!r}"),
            (not _number(backoff_max_s) or backoff_max_s < 0, f"backoff_max_s must be >= 0, got {backoff_max_s!r}"),
            (extra_body is not None and not isinstance(extra_body, dict), "extra_body must be a JSON object"),
            (not isinstance(api_key_env, str) or not api_key_env, "api_key_env must name an environment variable"),
        ]
        for bad, message in checks:
            if bad:
                raise UsageError(message)
        clash = sorted(RESERVED_BODY & set(extra_body or {}))
        if clash:
            raise UsageError(f"extra_body may not set {', '.join(clash)}: the harness sets them from its own options")

        self.model = str(model)
        self.servers = [_parse_base_url(u) for u in urls]
        self.endpoint = endpoint
        self.api_key_env = api_key_env
        self._key = _Secret(os.environ.get(api_key_env) or None)
        if self._key.get() and any(s.has_userinfo for s in self.servers):
            raise UsageError(f"base_url holds credentials (user:password@) and ${api_key_env} is set: use one of them "
                             f"(drop the credentials from the URL, or unset {api_key_env})")
        self.concurrency = concurrency
        self.timeout_s = float(timeout_s)
        self.max_retries = max_retries
        self.backoff_base_s = float(backoff_base_s)
        self.backoff_max_s = float(backoff_max_s)
        self.extra_body = dict(extra_body or {})
        self._rng = random.Random()
        self._rr = 0
        self._described: dict | None = None

    def __repr__(self) -> str:
        return (f"OpenAIBackend(model={self.model!r}, base_urls={[s.label for s in self.servers]!r}, "
                f"endpoint={self.endpoint!r}, api_key_env={self.api_key_env!r})")

    # --- Backend protocol ------------------------------------------------------------

    def describe(self) -> dict:
        """Backend, model, base URLs, endpoint, the key's variable name, and what each
        server's ``/models`` says about the model (``id``, ``root``, ``max_model_len``,
        ``owned_by``; None when the server has no such route)."""
        if self._described is None:
            servers = _run_in_thread(self._scoped(self._describe_servers))
            self._described = {
                "backend": self.name,
                "model": self.model,
                "base_urls": [s.label for s in self.servers],
                "endpoint": self.endpoint,
                "api_key_env": self.api_key_env,
                "servers": servers,
            }
        return self._described

    def generate(self, requests: Iterable[GenerationRequest]) -> Iterator[tuple[GenerationRequest, list[Generation]]]:
        """Yield each request with its ``n`` generations as it completes (any order).

        Raises :class:`BackendError` when a request fails for good (after yielding every
        request that had finished), :class:`UsageError` for a chat request with
        ``endpoint="completions"``."""
        out: queue.Queue = queue.Queue()
        state = _DriveState(self.concurrency)
        thread = threading.Thread(target=self._drive_thread, args=(iter(requests), out, state),
                                  name="openai-backend", daemon=True)
        thread.start()
        try:
            while True:
                try:
                    item = out.get(timeout=0.5)
                except queue.Empty:
                    if not thread.is_alive() and out.empty():
                        raise RuntimeError("OpenAIBackend: the request driver stopped without a result") from None
                    continue
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    raise item.exc
                for result in item:
                    state.delivered()
                    yield result
        finally:
            if thread.is_alive():  # the caller stopped early (error, Ctrl-C): cancel what is in flight
                state.stop.set()
                state.call(state.cancel)
                thread.join(timeout=30)

    def close(self) -> None:
        """Nothing to release: each ``generate``/``describe`` call opens and closes its own
        event loop and connections."""

    # --- event loops and sessions ------------------------------------------------------

    async def _scoped(self, fn, *args):
        """``await fn(ctx, *args)`` with a fresh HTTP session, closed afterwards."""
        timeout = aiohttp.ClientTimeout(total=self.timeout_s, sock_connect=min(self.timeout_s, CONNECT_TIMEOUT_S))
        connector = aiohttp.TCPConnector(limit=self.concurrency + len(self.servers))
        async with aiohttp.ClientSession(timeout=timeout, connector=connector, trust_env=False) as session:
            return await fn(_Ctx(session, asyncio.Semaphore(self.concurrency)), *args)

    def _drive_thread(self, requests: Iterator[GenerationRequest], out: queue.Queue, state: _DriveState) -> None:
        try:
            asyncio.run(self._scoped(self._drive, requests, out, state))
        except asyncio.CancelledError:
            pass  # the consumer stopped early and asked for it
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread, which raises it
            out.put(_Failure(exc))

    # --- driving requests -------------------------------------------------------------

    async def _drive(self, ctx: _Ctx, requests: Iterator[GenerationRequest], out: queue.Queue,
                     state: _DriveState) -> None:
        """``concurrency`` workers, each taking the next request as soon as it has room
        (requests are pulled in order, lazily). Ends with ``_DONE``, or ``_Failure`` once
        the first failure has cancelled the rest (after every finished result)."""
        state.loop, state.task = asyncio.get_running_loop(), asyncio.current_task()
        if state.stop.is_set():
            return
        exhausted = False

        def take() -> GenerationRequest | None:
            nonlocal exhausted
            req = None if exhausted else next(requests, None)
            if req is None:
                exhausted = True
                return None
            self._check_request(req)
            return req

        workers = [asyncio.create_task(self._worker(ctx, take, out, state)) for _ in range(self.concurrency)]
        try:
            await _gather_or_cancel(workers)
        except Exception as exc:  # noqa: BLE001 - handed to the consuming thread, which raises it
            state.hand_over(out)
            out.put(_Failure(exc))
        else:
            state.hand_over(out)
            out.put(_DONE)

    async def _worker(self, ctx: _Ctx, take: Callable[[], GenerationRequest | None], out: queue.Queue,
                      state: _DriveState) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await state.wait_for_room()
            req = take()
            if req is None:
                return
            result = await self._complete(ctx, req)
            state.produced()
            # Hand the result over once this worker's next request is on the wire (and
            # with the others that finished meanwhile): the consumer thread, and its claim
            # on the GIL, wakes only after the sends.
            if not state.ready:
                loop.call_soon(state.hand_over, out)
            state.ready.append(result)

    def _check_request(self, req: GenerationRequest) -> None:
        if req.messages is not None and self.endpoint == "completions":
            raise UsageError("endpoint=completions cannot send chat messages: use --prompt-mode base, or endpoint=chat")

    async def _complete(self, ctx: _Ctx, req: GenerationRequest) -> tuple[GenerationRequest, list[Generation]]:
        chat = req.messages is not None
        path = "/chat/completions" if chat else "/completions"
        want = 1 if req.params.temperature <= 0 else req.n

        def body(server: _Server) -> dict:
            return self._body(req, n=min(want, server.max_n or want), seed=req.seed)

        first = await self._call(ctx, "POST", path, body)
        choices = first.data["choices"]
        if len(choices) < first.n:
            self._note_choice_cap(first.server, len(choices), first.n)
        choices = choices[: first.n]
        gens = self._generations(req, first, choices, chat)
        if len(gens) < want:
            seeds = [req.seed + i for i in range(len(gens), want)]
            calls = await _gather_or_cancel([
                self._call(ctx, "POST", path, lambda server, s=s: self._body(req, n=1, seed=s)) for s in seeds
            ])
            for seed, call in zip(seeds, calls):
                one = self._generations(req, call, call.data["choices"][:1], chat)[0]
                one.extra["seed"] = seed
                gens.append(one)
        if want < req.n:
            gens = [_copy(gens[0]) for _ in range(req.n)]
        for i, g in enumerate(gens):
            g.extra["sample"] = i
        return req, gens

    def _body(self, req: GenerationRequest, *, n: int, seed: int) -> dict:
        p = req.params
        body: dict[str, Any] = {"model": self.model}
        if req.messages is not None:
            body["messages"] = [dict(m) for m in req.messages]
        else:
            body["prompt"] = req.prompt
        if n > 1:
            body["n"] = n
        body.update(temperature=p.temperature, top_p=p.top_p, max_tokens=p.max_tokens, seed=seed)
        if p.stop:
            body["stop"] = list(p.stop)
        body.update(p.extra)  # --gen-kwargs
        if req.messages is not None and req.chat_template_kwargs:
            body["chat_template_kwargs"] = dict(req.chat_template_kwargs)
        body.update(self.extra_body)
        return body

    def _note_choice_cap(self, server: _Server, got: int, asked: int) -> None:
        if server.max_n is None or got < server.max_n:
            log.warning("%s returned %d of %d choices: it ignores n, so the missing samples are separate n=1 "
                        "requests with seeds seed+i", server.label, got, asked)
            server.max_n = got

    def _generations(self, req: GenerationRequest, call: _Call, choices: list[dict], chat: bool) -> list[Generation]:
        usage = _dict(call.data.get("usage"))
        prompt_tokens = _int_or_none(usage.get("prompt_tokens"))
        counts = _per_choice(usage, choices, lambda u: _int_or_none(u.get("completion_tokens")))
        reasoning = _per_choice(usage, choices,
                                lambda u: _int_or_none(_dict(u.get("completion_tokens_details")).get("reasoning_tokens")))
        gens = []
        for choice, completion_tokens, thinking_tokens in zip(choices, counts, reasoning):
            text, thinking = _choice_text(choice, chat)
            raw = choice.get("finish_reason")
            gen = Generation(
                text=text,
                finish_reason="length" if raw == "length" else "stop",
                prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens,
                thinking_tokens=thinking_tokens,
                answer_tokens=None if completion_tokens is None or thinking_tokens is None else completion_tokens - thinking_tokens,
                thinking=thinking,
                prompt_text=None if chat else req.prompt,
                latency_s=call.latency,
            )
            if raw not in ("stop", "length"):
                gen.extra["server_finish_reason"] = raw
            gens.append(gen)
        return gens

    # --- one HTTP call, with retries ----------------------------------------------------

    async def _call(self, ctx: _Ctx, method: str, path: str, make_body: Callable[[_Server], dict] | None,
                    pinned: _Server | None = None, lenient: bool = False) -> _Call:
        """One API call with retries; each attempt picks a server (unless ``pinned``).
        ``lenient``: a body that is not a JSON object is a refusal, not worth retrying."""
        failed: list[tuple[_Server, _Transient]] = []
        last: _Server | None = None
        for attempt in range(self.max_retries + 1):
            server = pinned or self._pick(avoid=last)
            body = make_body(server) if make_body else None
            async with ctx.slots:
                server.in_flight += 1
                start = time.perf_counter()
                try:
                    data = await self._attempt(ctx.session, method, server, path, body)
                    latency = time.perf_counter() - start
                    if body is not None:
                        _check_completion(data)
                except _Transient as exc:
                    if lenient and exc.kind == "malformed":
                        raise _Rejected(f"server {server.label} answered {path} with {exc.reason}") from None
                    err = exc
                else:
                    err = None
                finally:
                    server.in_flight -= 1
            if err is None:
                server.failures = 0
                server.down_until = 0.0
                server.calls += 1
                return _Call(data, server, latency, (body or {}).get("n", 1))
            failed.append((server, err))
            last = server
            self._note_failure(server)
            if attempt == self.max_retries:
                break
            delay = self._backoff(attempt, err.retry_after)
            log.info("%s: %s; retry %d of %d in %.2fs", server.label, err.reason, attempt + 1, self.max_retries, delay)
            await asyncio.sleep(delay)
        raise BackendError(self._give_up_message(failed)) from None

    async def _attempt(self, session: aiohttp.ClientSession, method: str, server: _Server, path: str,
                       body: dict | None) -> dict:
        headers = {"Accept": "application/json"}
        if self._key.get():
            headers["Authorization"] = f"Bearer {self._key.get()}"
        try:
            async with session.request(method, server.root + path, json=body, headers=headers,
                                       allow_redirects=False) as resp:
                status = resp.status
                retry_after = _retry_after(resp.headers.get("Retry-After"))
                raw = await resp.read()
        except _CONNECT_TIMEOUT:
            raise _Transient("connect", f"no connection within {min(self.timeout_s, CONNECT_TIMEOUT_S):g}s") from None
        except TimeoutError:
            raise _Transient("timeout", f"no response within {self.timeout_s:g}s") from None
        except aiohttp.ClientConnectorError as exc:
            raise _Transient("connect", _connect_reason(exc)) from None
        except aiohttp.ServerDisconnectedError:
            raise _Transient("drop", "connection dropped before the response was complete") from None
        except aiohttp.ClientPayloadError:
            raise _Transient("drop", "response cut off mid-body") from None
        except aiohttp.ClientError as exc:
            raise _Transient("drop", f"connection error ({type(exc).__name__})") from None
        if 200 <= status < 300:
            try:
                data = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise _Transient("malformed", f"HTTP {status} with a body that is not JSON") from None
            if not isinstance(data, dict):
                raise _Transient("malformed", f"HTTP {status} with a JSON body that is not an object")
            return data
        message = self._redact(_error_message(raw))
        if status in RETRY_STATUS or status >= 500:
            raise _Transient("http", f"HTTP {status}: {message}", retry_after)
        hint = f" (check the key in ${self.api_key_env})" if status in (401, 403) else ""
        raise _Rejected(f"server {server.label} rejected the request: HTTP {status}: {message}{hint}")

    def _pick(self, avoid: _Server | None = None) -> _Server:
        """The server with the fewest calls in flight among those not cooling down
        (round-robin among equals); the one recovering soonest if all are."""
        if len(self.servers) == 1:  # never quarantined (see _note_failure)
            return self.servers[0]
        now = time.monotonic()
        pool = [s for s in self.servers if s.down_until <= now]
        if avoid is not None and len(pool) > 1:
            pool = [s for s in pool if s is not avoid] or pool
        if not pool:
            return min(self.servers, key=lambda s: s.down_until)
        k = self._rr % len(pool)
        self._rr += 1
        rotated = pool[k:] + pool[:k]
        return min(rotated, key=lambda s: s.in_flight)

    def _note_failure(self, server: _Server) -> None:
        server.failures += 1
        if server.failures >= QUARANTINE_AFTER and len(self.servers) > 1:
            cooldown = min(self.backoff_max_s, max(self.backoff_base_s, 0.01) * 2 ** (server.failures - QUARANTINE_AFTER))
            if server.down_until <= time.monotonic():
                log.warning("%s failed %d times in a row: avoiding it for %.1fs", server.label, server.failures, cooldown)
            server.down_until = time.monotonic() + cooldown

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.backoff_max_s)
        return self._rng.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2 ** attempt))

    def _give_up_message(self, failed: list[tuple[_Server, _Transient]]) -> str:
        server, last = failed[-1]
        labels = list(dict.fromkeys(s.label for s, _ in failed))
        how = {"connect": "unreachable", "timeout": "timed out"}.get(last.kind, "failing")
        retries = f"{self.max_retries} retr{'y' if self.max_retries == 1 else 'ies'}"
        if len(labels) == 1:
            return f"server {server.label} {how} after {retries} ({last.reason})"
        return f"servers {', '.join(labels)} {how} after {retries} (last: {server.label}: {last.reason})"

    def _redact(self, text: str) -> str:
        key = self._key.get()
        return text.replace(key, "***") if key else text

    # --- describe ----------------------------------------------------------------------

    async def _describe_servers(self, ctx: _Ctx) -> list[dict]:
        """Each server's model info. An unreachable server fails the call only when every
        server is: a fleet can lose a member and still run."""
        infos = await asyncio.gather(*(self._model_info(ctx, s) for s in self.servers), return_exceptions=True)
        errors = [i for i in infos if isinstance(i, BaseException)]
        if len(errors) == len(infos) or any(not isinstance(e, BackendError) for e in errors):
            raise errors[0]
        return [i if not isinstance(i, BaseException) else {"base_url": s.label, "model": None, "error": str(i)}
                for s, i in zip(self.servers, infos)]

    async def _model_info(self, ctx: _Ctx, server: _Server) -> dict:
        try:
            call = await self._call(ctx, "GET", "/models", None, pinned=server, lenient=True)
        except _Rejected:
            return {"base_url": server.label, "model": None}  # no usable /models route: not vital
        data = call.data.get("data")
        entries = [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []
        match = next((e for e in entries if e.get("id") == self.model), None)
        if match is None:
            ids = [str(e.get("id")) for e in entries]
            if ids:
                log.warning("%s does not list model %r (it lists %s)", server.label, self.model, ", ".join(ids[:5]))
            return {"base_url": server.label, "model": None, "listed": ids[:20]}
        info = {k: match[k] for k in ("id", "root", "max_model_len", "owned_by") if k in match}
        return {"base_url": server.label, "model": info}


# --- helpers --------------------------------------------------------------------------------


def _run_in_thread(coro):
    """``asyncio.run(coro)`` in a fresh thread (safe even if the caller runs an event loop)."""
    box: dict = {}

    def target():
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="openai-backend", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _number(value) -> bool:
    """A finite int or float (not a bool, NaN or infinity)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _parse_base_url(url: str) -> _Server:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"base_url {_mask(url)!r} is not an http(s) URL such as http://127.0.0.1:8000")
    if parts.query or parts.fragment:
        raise UsageError(f"base_url {_mask(url)!r} must not have a query or fragment")
    path = parts.path.rstrip("/")
    root = urlunsplit((parts.scheme, parts.netloc, path or "/v1", "", ""))
    return _Server(label=_mask(url.strip().rstrip("/")), root=root, has_userinfo="@" in parts.netloc)


def _mask(url: str) -> str:
    """``url`` as shown in messages, logs and ``describe()``: credentials and secret query parameters replaced."""
    return redact_text(url)


def _connect_reason(exc: aiohttp.ClientConnectorError) -> str:
    os_error = exc.os_error
    if isinstance(os_error, ConnectionRefusedError):
        return "connection refused"
    detail = getattr(os_error, "strerror", None) or str(os_error) or type(os_error).__name__
    return f"cannot connect: {detail}"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _error_message(raw: bytes) -> str:
    """The server's error message on one line: OpenAI/vLLM ``{"error": {"message"}}``,
    older vLLM ``{"message"}``, FastAPI ``{"detail"}``, else the body's text."""
    text = raw.decode("utf-8", errors="replace")
    message = text
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and err.get("message"):
            message = str(err["message"])
        elif isinstance(err, str) and err:
            message = err
        elif data.get("message"):
            message = str(data["message"])
        elif data.get("detail"):
            message = str(data["detail"])
    message = " ".join(message.split())
    if len(message) > _MESSAGE_CHARS:
        message = message[:_MESSAGE_CHARS] + "…"
    return message or "(empty body)"


def _check_completion(data: dict) -> None:
    """A completion response must have choices; aborted choices are worth a retry."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not all(isinstance(c, dict) for c in choices):
        err = data.get("error")
        detail = f": {_error_message(json.dumps(err).encode())}" if err else ""
        raise _Transient("malformed", f"response without choices{detail}")
    for c in choices:
        if c.get("finish_reason") in ABORTED_FINISH:
            raise _Transient("aborted", f"server aborted the generation (finish_reason {c['finish_reason']})")
    choices.sort(key=lambda c: c.get("index") if isinstance(c.get("index"), int) else 0)


def _choice_text(choice: dict, chat: bool) -> tuple[str, str | None]:
    if chat:
        message = choice.get("message")
        message = message if isinstance(message, dict) else {}
        text = _content(message.get("content"))
        thinking = message.get("reasoning_content")
        if thinking is None:
            thinking = message.get("reasoning")
    else:
        text = _content(choice.get("text"))
        thinking = choice.get("reasoning_content")
    return text, thinking if isinstance(thinking, str) else None


def _content(value) -> str:
    """Message content as text: a string, None (nothing), or a list of text parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(p.get("text", "") for p in value if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _int_or_none(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _per_choice(usage: dict, choices: list[dict], get) -> list[int | None]:
    """A usage count per choice: each choice's own ``usage`` if all carry one, else the
    call's total on the first choice and None on the others (exact with one choice)."""
    own = [get(_dict(c.get("usage"))) for c in choices]
    if all(v is not None for v in own):
        return own
    return [get(usage)] + [None] * (len(choices) - 1)


def _copy(gen: Generation) -> Generation:
    return Generation(**{**gen.__dict__, "extra": dict(gen.extra)})


async def _cancel_all(tasks: set[asyncio.Task]) -> None:
    for t in tasks:
        t.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


async def _gather_or_cancel(coros: list) -> list:
    """Run coroutines concurrently; if one fails (or we are cancelled), cancel the rest."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        await _cancel_all(set(tasks))
        raise
