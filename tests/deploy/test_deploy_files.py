"""The files of deploy/ an operator installs: nginx accepts the site, and the systemd units name
commands, files and ports that exist."""

import configparser
import re
import shutil
import subprocess

from django.conf import settings
from django.core.management import get_commands

from tests.servers import ROOT

DEPLOY = ROOT / "deploy"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def exec_starts(name: str) -> list[str]:
    # configparser keeps the last of repeated keys; systemd runs each ExecStart of a oneshot unit.
    text = (DEPLOY / "systemd" / name).read_text()
    return re.findall(r"^ExecStart=(.+)$", text, re.M)


def test_nginx_accepts_the_operator_site(tmp_path):
    site = (DEPLOY / "nginx" / "chat.conf").read_text().replace("/srv/chat", str(ROOT))
    for path in ("fullchain.pem", "privkey.pem"):
        site = site.replace(f"/etc/letsencrypt/live/chat.example.com/{path}", str(tmp_path / path))
    site = re.sub(r"/var/log/nginx/", f"{tmp_path}/", site)
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    key, cert = tmp_path / "privkey.pem", tmp_path / "fullchain.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=chat.example.com",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n include /etc/nginx/mime.types;\n"
        f" include {tmp_path}/site.conf;\n}}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_the_socket_instances_the_target_starts_are_nginx_upstream_servers():
    wants = unit("chat.target")["Unit"]["Wants"].split()
    ports = sorted(
        re.fullmatch(r"chat-ws@(\d+)\.service", name).group(1) for name in wants if name.startswith("chat-ws@")
    )
    site = (DEPLOY / "nginx" / "chat.conf").read_text()
    upstream = re.search(r"upstream chat_ws \{(.*?)\}", site, re.S).group(1)
    assert ports
    assert sorted(re.findall(r"server 127\.0\.0\.1:(\d+);", upstream)) == ports
    http_bind = unit("chat-http.service")["Service"]["Environment"].removeprefix("HTTP_BIND=")
    assert re.search(rf"upstream chat_http \{{\s*server {re.escape(http_bind)};", site)


def test_the_target_starts_workers_for_every_queue_and_one_for_exports_only():
    wants = unit("chat.target")["Unit"]["Wants"].split()
    assert "chat-export-worker.service" in wants
    assert "--queue-name exports" in exec_starts("chat-export-worker.service")[0]
    assert "--queue-name *" in exec_starts("chat-worker@.service")[0]
    queues = {name for backend in settings.TASKS.values() for name in backend["QUEUES"]}
    assert {"exports", "imports"} <= queues


def test_the_units_run_commands_and_files_that_exist():
    commands = get_commands()
    units = ("chat-http.service", "chat-ws@.service", "chat-worker@.service", "chat-export-worker.service")
    for name in (*units, "chat-expire.service"):
        service = unit(name)["Service"]
        assert service["EnvironmentFile"] == "/etc/chat/env"
        for line in exec_starts(name):
            program, *args = line.split()
            assert program.startswith("/srv/chat/.venv/bin/")
            if "manage.py" in args:
                assert args[args.index("manage.py") + 1] in commands, line
            if "-c" in args:
                assert (ROOT / args[args.index("-c") + 1]).is_file(), line
            if "-m" in args:
                assert (ROOT / (args[args.index("-m") + 1].replace(".", "/") + ".py")).is_file(), line
    timer = unit("chat-expire.timer")["Timer"]
    assert timer["OnCalendar"] == "daily"
