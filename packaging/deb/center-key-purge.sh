  rm -f /etc/fleetreg/center.secret /etc/fleetreg/center.secret.new
