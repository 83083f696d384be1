#!/bin/bash
# First start: a private CA and a server certificate for MAIL_TLS_HOSTNAME in /etc/dovecot/tls (the Airflow
# containers trust ca.pem), the one login from ITREPORT_IMAP_USER / ITREPORT_IMAP_PASSWORD, and the sample month
# (/sample/Maildir, written by the mail-sample service) copied into the mailbox with its receipt times kept: for a
# Maildir, Dovecot's INTERNALDATE is the file's modification time.
set -euo pipefail
tls=/etc/dovecot/tls
if [ ! -s "$tls/server.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=itreport demo mail CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=${MAIL_TLS_HOSTNAME}" -keyout "$tls/server.key" -out "$tls/server.csr"
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' "$MAIL_TLS_HOSTNAME" >"$tls/ext.cnf"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 825 \
    -extfile "$tls/ext.cnf" -out "$tls/server.pem"
  rm -f "$tls/ca.key" "$tls/server.csr" "$tls/ext.cnf"
  chmod 0644 "$tls/ca.pem" "$tls/server.pem"
  chmod 0600 "$tls/server.key"
fi
printf '%s:%s\n' "$ITREPORT_IMAP_USER" "$(doveadm pw -s SHA512-CRYPT -p "$ITREPORT_IMAP_PASSWORD")" >/etc/dovecot/users
chmod 0640 /etc/dovecot/users
chown root:dovecot /etc/dovecot/users
home="/srv/mail/${ITREPORT_IMAP_USER}"
if [ ! -d "$home/Maildir" ] && [ -d /sample/Maildir ]; then
  mkdir -p "$home"
  cp -a /sample/Maildir "$home/Maildir"
  chown -R vmail:vmail "$home"
fi
exec /usr/sbin/dovecot -F
