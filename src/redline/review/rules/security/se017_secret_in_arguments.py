"""SE017 secret-in-arguments: see the class docstring."""

from __future__ import annotations

from collections.abc import Iterator

from redline.review.context import Context
from redline.review.rule import (
    Category,
    Finding,
    Rule,
    Severity,
    arguments_fingerprint,
    register,
)
from redline.review.rules._util import where
from redline.review.rules.security._shared import _ARGS_TRADEOFF, _argument_secrets, _command_fix


@register
class SecretInArguments(Rule):
    """What it does:
    Flags a container whose command line (Kubernetes `command` / `args`, Compose `command`) carries a
    credential in plaintext: a flag named like one followed by its value (`--requirepass X`,
    `--db-password=X`, `--api-token X`, `-Dspring.datasource.password=X`), `curl -u user:pw`,
    `redis-cli -a X`, `mysql -pX`, a URL with a password (`amqp://u:pw@mq`), or a well-known token format
    (`ghp_...`, `AKIA...`). A reference is not reported: `$(VAR)` (expanded by the kubelet), `$VAR` /
    `$$VAR` / `${VAR}` (expanded by the shell or Compose), a file path (`--password-file /run/secrets/x`).

    Why it matters:
    Command lines are the least private place a process has: every user on the node reads them in
    `ps` and `/proc/<pid>/cmdline`, `kubectl describe pod` and `docker inspect` print them, and crash
    reporters and process monitors ship them. The credential is also in the repository, with the
    consequences of SE001.

    Example:
    args: ["--requirepass", "s3cr3t-pw"]

    Fix:
    Advice: the value has to move to a Secret or an untracked `.env` file that only its owner writes,
    and a command line (often a script) is not rewritten by an edit. The advice names each argument and
    the reference that replaces it (`$(VAR)` expanded by the kubelet, `${VAR}` by Compose).

    env:
      - name: REDIS_PASSWORD
        valueFrom: {secretKeyRef: {name: redis, key: password}}
    args: ["--requirepass", "$(REDIS_PASSWORD)"]

    Trade-offs:
    The value must come from a Secret or an untracked file; with `$(VAR)` it still shows in the process
    list at run time (only a file or the environment avoids that), but no longer in the repository.
    """

    code = "SE017"
    name = "secret-in-arguments"
    category = Category.SECURITY
    severity = Severity.HIGH

    def check(self, ctx: Context) -> Iterator[Finding]:
        for c in ctx.system.components:
            for k in c.containers:
                shown = _argument_secrets(k.command)
                if not shown:
                    continue
                file, line = where(k.source, c.source)
                yield self.finding(
                    component=c.name,
                    file=file,
                    line=line,
                    message=(
                        f"container `{k.name}` of `{c.name}` passes a credential on its command line: "
                        + ", ".join(f"`{s}`" for s in shown)
                    ),
                    why=(
                        f"Anyone who can list processes on the node, describe the pod of `{c.name}` or read "
                        "this file has the credential; crash reporters and monitors ship command lines."
                    ),
                    fix=_command_fix(c, k, shown),
                    tradeoff=_ARGS_TRADEOFF,
                    fingerprint=arguments_fingerprint(k.command),
                )
