"""A throwaway nginx (Debian's `nginx`) on a loopback port, in front of a gunicorn: the buffering
reverse proxy of deploy/nginx.conf, rendered into its own folder."""
from __future__ import annotations

import os
import re
from pathlib import Path

from devservices.base import Server, ServiceError, program

# The template the deployment uses too, so the tests try the configuration that is shipped.
TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")


def render(template: str, values: dict[str, str]) -> str:
    """The template with each ${NAME} replaced by values[NAME]. nginx's own variables ($host,
    without braces) are left alone; a placeholder without a value is an error, not a blank."""
    missing = sorted(set(PLACEHOLDER.findall(template)) - set(values))
    if missing:
        raise ServiceError(f"no value for {', '.join(missing)} in the nginx template")
    return PLACEHOLDER.sub(lambda found: values[found.group(1)], template)


def config(listen: str, upstream: str, folder: Path) -> str:
    """deploy/nginx.conf filled in for nginx on `listen` before `upstream`, writing in `folder`.
    Started by root, nginx would run its workers as nobody, who may not enter a folder of
    root's: they then stay root."""
    text = render(TEMPLATE.read_text(), {"LISTEN": listen, "UPSTREAM": upstream,
                                         "FOLDER": str(folder)})
    return ("user root;\n" + text) if os.geteuid() == 0 else text


class NginxServer(Server):
    """nginx listening on 127.0.0.1:<its port>, passing every request on to `upstream`
    ("127.0.0.1:PORT", a gunicorn), with the settings of deploy/nginx.conf."""

    name = "nginx"

    def __init__(self, upstream: str) -> None:
        super().__init__()
        self.upstream = upstream
        self.conf = self.folder / "nginx.conf"

    def prepare(self) -> None:
        self.conf.write_text(config(f"127.0.0.1:{self.port}", self.upstream, self.folder))

    def command(self) -> list[str]:
        # -e stderr: what nginx says before it has read the configuration goes to server.log,
        # whatever error log its build defaults to (often /var/log/nginx/error.log, root's).
        # -e exists since nginx 1.19.5; Debian 12 ships 1.22.
        return [program("nginx", "/usr/sbin"), "-p", str(self.folder), "-e", "stderr",
                "-c", str(self.conf), "-g", "daemon off;"]

    def tail(self, lines: int = 20) -> str:
        """The end of what nginx printed, then of its error log (where it goes once started)."""
        text = super().tail(lines)
        try:
            logged = (self.folder / "error.log").read_text(errors="replace").splitlines()
        except OSError:
            return text
        return text + "\nerror.log:\n" + "\n".join(logged[-lines:])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"
