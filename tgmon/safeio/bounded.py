"""Run blocking work in daemon threads; wait for it no longer than a deadline.

Some waits no signal can cut short: a DNS lookup (the C library's resolver
retries through an interrupted poll) or a file on a dangling network mount
(the kernel waits). So the work runs in daemon threads and the caller waits
until its deadline (a ``time.monotonic()`` instant). A plugin that gives up
leaves with ``os._exit``, which takes the stuck threads with it.
"""

import threading
import time


class Overdue(Exception):
    """The work did not finish before the deadline."""


def seconds_left(deadline):
    return max(0.0, deadline - time.monotonic())


def call(function, deadline):
    """``function()``'s result (or its exception) if it ends before ``deadline``; else Overdue."""
    outcome = _Outcome()
    thread = threading.Thread(target=outcome.run, args=(function,), daemon=True,
                              name="tgmon-bounded")
    thread.start()
    if not outcome.done.wait(seconds_left(deadline)):
        raise Overdue()
    return outcome.result()


class _Outcome:
    def __init__(self):
        self.done = threading.Event()
        self.started = False
        self.value = None
        self.error = None

    def run(self, function):
        self.started = True
        try:
            self.value = function()
        except BaseException as exc:   # handed to the waiting thread
            self.error = exc
        finally:
            self.done.set()

    def result(self):
        if self.error is not None:
            raise self.error
        return self.value


# What became of one job of call_all.
DONE, FAILED, RUNNING, NOT_STARTED = "done", "failed", "running", "not started"


def call_all(functions, deadline, workers):
    """Run every function, at most ``workers`` at once, all sharing one deadline.

    Returns one (status, value) per function, in order: (DONE, result),
    (FAILED, exception), (RUNNING, None) when it was still running at the
    deadline, (NOT_STARTED, None) when no worker got to it in time.
    """
    outcomes = [_Outcome() for _ in functions]
    pending = list(range(len(functions)))[::-1]
    lock = threading.Lock()
    finished = threading.Semaphore(0)

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                index = pending.pop()
            outcomes[index].run(functions[index])
            finished.release()

    for number in range(max(1, min(workers, len(functions)))):
        threading.Thread(target=worker, daemon=True, name="tgmon-fetch-%d" % number).start()
    for _ in functions:
        if not finished.acquire(timeout=seconds_left(deadline)):
            break
    results = []
    for outcome in outcomes:
        if outcome.done.is_set():
            results.append((FAILED, outcome.error) if outcome.error is not None
                           else (DONE, outcome.value))
        else:
            results.append((RUNNING if outcome.started else NOT_STARTED, None))
    return results
