"""Real mail servers for tests: Debian's Dovecot (IMAP) and an aiosmtpd sink (outbound SMTP)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dovecot_available() -> bool:
    return os.path.exists(DOVECOT)


@dataclass
class Dovecot:
    """A private Dovecot: plaintext IMAP on 127.0.0.1:<random>, passwd-file users, maildir in a
    temp dir. `users` maps user → password."""

    users: dict[str, str] = field(default_factory=lambda: {"support": "secret", "other": "secret2"})
    port: int = 0
    root: Path = Path()
    proc: Any = None

    def _conf(self) -> str:
        me = pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            mail_user = "dovecot"  # Dovecot refuses root as the mail user
            service_users = ""
        else:  # unprivileged run: every service as ourselves
            mail_user = me
            service_users = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
        r = self.root
        return f"""base_dir = {r}/run
state_dir = {r}/state
log_path = {r}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 0
mail_location = maildir:{r}/home/%u/Maildir
{service_users}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {r}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_user} home={r}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""

    def start(self) -> Dovecot:
        self.root = Path(tempfile.mkdtemp(prefix="herdesk-dovecot-"))
        self.root.chmod(0o755)
        for sub in ("run", "state", "home"):
            (self.root / sub).mkdir()
        (self.root / "passwd").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        if os.geteuid() == 0:
            shutil.chown(self.root / "home", "dovecot", "dovecot")
        self.port = free_port()
        conf = self.root / "dovecot.conf"
        conf.write_text(self._conf())
        self.proc = subprocess.Popen(
            [DOVECOT, "-c", str(conf), "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.proc.stderr.read().decode()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("dovecot did not start listening")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, user: str = "support") -> Any:
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted("127.0.0.1", self.port, timeout=10).login(user, self.users[user])


class SinkHandler:
    """An aiosmtpd handler that keeps every message it receives (outbound tests)."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": envelope.original_content,
            }
        )
        return "250 OK"
