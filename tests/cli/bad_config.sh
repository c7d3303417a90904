#!/usr/bin/env bash
# A newcomer's mistakes in the environment: eelchat must exit non-zero with one clear line, not a trace.
set -u
bin=$1
fail=0
check() { # check EXPECTED_SUBSTRING VAR=VALUE...
    local want=$1; shift
    local out rc
    out=$(env -i PATH="$PATH" "$@" "$bin" 2>&1 >/dev/null); rc=$?
    local lines
    lines=$(printf '%s\n' "$out" | grep -c .)
    if [ "$rc" -eq 0 ] || [ "$lines" -ne 1 ] || [[ "$out" != *"$want"* ]]; then
        echo "FAIL: $* -> exit $rc, $lines line(s): $out (wanted one line containing '$want')"
        fail=1
    else
        echo "ok: $* -> $out"
    fi
}
check "DATABASE_URL is not set"
check "PORT must be a number" DATABASE_URL=postgresql://localhost/x PORT=http
check "PORT must be a number" DATABASE_URL=postgresql://localhost/x PORT=70000
check "BASE_URL must be an absolute" DATABASE_URL=postgresql://localhost/x BASE_URL=localhost:8080
check "THREADS must be a number" DATABASE_URL=postgresql://localhost/x THREADS=0
check "LOG_LEVEL must be" DATABASE_URL=postgresql://localhost/x LOG_LEVEL=loud
check "DATABASE_URL is not a valid" "DATABASE_URL=host=localhost port"
check "MAIL_FROM must be" DATABASE_URL=postgresql://localhost/x SMTP_HOST=mail.example.org
check "MAIL_FROM must be" DATABASE_URL=postgresql://localhost/x SMTP_HOST=mail.example.org "MAIL_FROM=a b@c"
check "SMTP_CA_FILE" DATABASE_URL=postgresql://localhost/x SMTP_HOST=mail.example.org MAIL_FROM=e@example.org SMTP_CA_FILE=/nonexistent.pem
check "SMTP_PASSWORD" DATABASE_URL=postgresql://localhost/x SMTP_HOST=mail.example.org MAIL_FROM=e@example.org SMTP_USER=u
check "only over TLS" DATABASE_URL=postgresql://localhost/x SMTP_HOST=mail.example.org MAIL_FROM=e@example.org SMTP_USER=u SMTP_PASSWORD=p SMTP_TLS=off
check "METRICS_ADDR must be host:port" DATABASE_URL=postgresql://localhost/x METRICS_ADDR=9464
check "WS_MAX_PER_USER must be a number" DATABASE_URL=postgresql://localhost/x WS_MAX_PER_USER=lots
check "OIDC_CLIENT_SECRET is not set" DATABASE_URL=postgresql://localhost/x OIDC_ISSUER=https://id.example.org OIDC_CLIENT_ID=eelchat
check "OIDC_ISSUER must be an https" DATABASE_URL=postgresql://localhost/x OIDC_ISSUER=http://id.example.org OIDC_CLIENT_ID=c OIDC_CLIENT_SECRET=s
check "EMAIL_SIGNIN=off needs single sign-on" DATABASE_URL=postgresql://localhost/x EMAIL_SIGNIN=off
exit $fail
