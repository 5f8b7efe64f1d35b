  # The center's HMAC key for provisional codes: outside the database, 0600,
  # the center's own; generated once.
  if [ ! -e /etc/fleetreg/center.secret ]; then
    (
      umask 077
      od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >/etc/fleetreg/center.secret.new
      echo >>/etc/fleetreg/center.secret.new
    )
    chown fleetreg-center:fleetreg-center /etc/fleetreg/center.secret.new
    mv /etc/fleetreg/center.secret.new /etc/fleetreg/center.secret
  fi
