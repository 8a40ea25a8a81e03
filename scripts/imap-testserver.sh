#!/usr/bin/env bash
# A throw-away Dovecot IMAP server for the Postfach tests: 127.0.0.1:${AMTSFLUSS_TEST_IMAP_PORT:-10143}, no TLS,
# one user `postfach` / `postfach`, Maildir under /tmp. `scripts/imap-testserver.sh stop` stops it again.
set -euo pipefail
BASIS=${AMTSFLUSS_TEST_IMAP_DIR:-/tmp/amtsfluss-imap}
PORT=${AMTSFLUSS_TEST_IMAP_PORT:-10143}
if [ "${1:-start}" = "stop" ]; then
  [ -f "$BASIS/dovecot.conf" ] && doveadm -c "$BASIS/dovecot.conf" stop 2>/dev/null || true
  exit 0
fi
command -v dovecot >/dev/null || { echo "dovecot is not installed (apt-get install dovecot-imapd)" >&2; exit 1; }
mkdir -p "$BASIS/run" "$BASIS/mail"
chmod 0777 "$BASIS/mail"
# Dovecot refuses uid 0 for mail: as root, the mailbox belongs to nobody.
if [ "$(id -u)" = 0 ]; then NUTZER=nobody; GRUPPE=nogroup; else NUTZER=$(id -un); GRUPPE=$(id -gn); fi
echo "postfach:{PLAIN}postfach::::::" > "$BASIS/passwd"
cat > "$BASIS/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $BASIS/run
ssl = no
auth_mechanisms = plain login
disable_plaintext_auth = no
log_path = $BASIS/dovecot.log
mail_location = maildir:$BASIS/mail/%u
passdb {
  driver = passwd-file
  args = $BASIS/passwd
}
userdb {
  driver = static
  args = uid=$NUTZER gid=$GRUPPE home=$BASIS/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
CONF
doveadm -c "$BASIS/dovecot.conf" stop 2>/dev/null || true
dovecot -c "$BASIS/dovecot.conf"
for _ in $(seq 1 20); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && exit 0; sleep 0.2; done
echo "dovecot did not start; see $BASIS/dovecot.log" >&2; exit 1
