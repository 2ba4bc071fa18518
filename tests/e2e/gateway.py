"""The real nginx gateway, configured from the same template the compose file uses."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from services.supervisor import ProcessSpec

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "default.conf.template"

MAIN_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    include {mime_types};
    default_type application/octet-stream;
    # As the nginx image's own nginx.conf: a log with client addresses and referers unless
    # the HealthHub server block says otherwise.
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" "$http_user_agent"';
    access_log {prefix}/default-access.log main;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/healthhub.conf;
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def write_nginx_config(
    prefix: Path,
    *,
    port: int,
    page_store: Path,
    pages: str,
    articles: str,
    views: list[str],
    edge_proxy: str = "127.0.0.1/32",
    media_dir: Path | None = None,
) -> Path:
    """Fill the compose template (several views upstreams, as `--scale views-api=N` gives);
    ``edge_proxy`` is the load balancer in front (compose's default: none)."""
    prefix.mkdir(parents=True, exist_ok=True)
    values = {
        "HEALTHHUB_GATEWAY_PORT": f"127.0.0.1:{port}",
        "HEALTHHUB_PAGE_STORE": str(page_store.resolve()),
        "HEALTHHUB_PAGES_UPSTREAM": pages,
        "HEALTHHUB_ARTICLES_UPSTREAM": articles,
        "HEALTHHUB_VIEWS_UPSTREAM": views[0],
        "HEALTHHUB_EDGE_PROXY": edge_proxy,
        # The stack's default: <var>/media beside <var>/pages.
        "HEALTHHUB_MEDIA_DIR": str((media_dir or page_store.parent / "media").resolve()),
    }
    # What the nginx image's envsubst does with NGINX_ENVSUBST_FILTER=HEALTHHUB_: only our
    # variables are replaced; nginx's own ($uri, $host...) stay.
    server = re.sub(r"\$\{(HEALTHHUB_\w+)\}", lambda m: values[m.group(1)], TEMPLATE.read_text())
    # Compose resolves one service name to all its replicas; here, list them explicitly.
    extra = "".join(f" server {v};" for v in views[1:])
    server = server.replace(f"server {views[0]};", f"server {views[0]};{extra}", 1)
    # The image sends /var/log/nginx/access.log to stdout; here it is a file the tests read.
    server = server.replace("/var/log/nginx/access.log", str(access_log(prefix)))
    (prefix / "healthhub.conf").write_text(server)
    mime = "/etc/nginx/mime.types"
    conf = prefix / "nginx.conf"
    conf.write_text(MAIN_CONF.format(prefix=prefix.resolve(), mime_types=mime))
    return conf


def access_log(prefix: Path) -> Path:
    return prefix.resolve() / "access.log"


def nginx_spec(conf: Path, port: int) -> ProcessSpec:
    binary = nginx_binary()
    assert binary is not None
    return ProcessSpec(
        "gateway",
        [binary, "-c", str(conf), "-p", str(conf.parent)],
        ready_url=f"http://127.0.0.1:{port}/healthz",
    )
