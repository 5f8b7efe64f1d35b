// SPDX-License-Identifier: Apache-2.0
#include "fleetreg/snmp/client.hpp"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/snmpusm.h>

#include <algorithm>
#include <iterator>

#include "fleetreg/snmp/codec.hpp"
#include "fleetreg/snmp/handles.hpp"
#include "fleetreg/snmp/library.hpp"
#include "fleetreg/snmp/session.hpp"

namespace fleetreg::snmp {

struct client::impl {
  session_ptr session;
  snmp_version version;

  // Each client removes the SNMPv3 user entry its session made (see forget_usm_user).
  ~impl() {
    if (!session || version != snmp_version::v3) return;
    const auto* s = snmp_sess_session(session.get());
    if (s && s->securityName) forget_usm_user(s->securityEngineID, s->securityEngineIDLen, s->securityName);
  }

  // Sends `request` and returns the response; on failure sets ec.
  pdu_ptr exchange(pdu_ptr request, std::error_code& ec, long* error_index = nullptr) {
    netsnmp_pdu* response = nullptr;
    // snmp_sess_synch_response frees the request in every case.
    const int status = snmp_sess_synch_response(session.get(), request.release(), &response);
    pdu_ptr resp(response);
    if (status == STAT_TIMEOUT) {
      ec = std::error_code(SNMPERR_TIMEOUT, api_category());
      return nullptr;
    }
    if (status != STAT_SUCCESS || !resp) {
      ec = session_error(session.get());
      return nullptr;
    }
    if (resp->errstat != SNMP_ERR_NOERROR) {
      ec = std::error_code(static_cast<int>(resp->errstat), pdu_category());
      if (error_index) *error_index = resp->errindex;
      return nullptr;
    }
    ec.clear();
    return resp;
  }

  // Every object under `root` after `cursor`, appended to `out` (at most
  // `max` in all): GETBULK of `reps` (halved on tooBig), GETNEXT for v1.
  void walk_from(const oid_vector& root, oid_vector cursor, std::vector<varbind>& out, std::size_t max, int reps,
                 std::error_code& ec, std::size_t* round_trips) {
    ec.clear();
    while (out.size() < max) {
      pdu_ptr pdu(snmp_pdu_create(version == snmp_version::v1 ? SNMP_MSG_GETNEXT : SNMP_MSG_GETBULK));
      if (version != snmp_version::v1) {
        pdu->non_repeaters = 0;
        pdu->max_repetitions = reps;
      }
      snmp_add_null_var(pdu.get(), cursor.data(), cursor.size());
      if (round_trips) ++*round_trips;
      auto resp = exchange(std::move(pdu), ec);
      if (!resp) {
        if (ec == std::error_code(SNMP_ERR_TOOBIG, pdu_category()) && reps > 1) {
          reps /= 2;
          continue;
        }
        // v1 agents end a walk with noSuchName.
        if (ec == std::error_code(SNMP_ERR_NOSUCHNAME, pdu_category())) ec.clear();
        return;
      }
      bool progressed = false;
      for (auto* v = resp->variables; v; v = v->next_variable) {
        oid_vector name(v->name, v->name + v->name_length);
        if (v->type == SNMP_ENDOFMIBVIEW || !starts_with(name, root)) return;
        if (snmp_oid_compare(name.data(), name.size(), cursor.data(), cursor.size()) <= 0) {
          ec = std::error_code(SNMPERR_GENERR, api_category());  // agent went backwards
          return;
        }
        cursor = name;
        out.push_back({std::move(name), decode(*v)});
        progressed = true;
        if (out.size() >= max) return;
      }
      if (!progressed) return;
    }
  }

  std::vector<varbind> request(int command, const std::vector<oid_vector>& oids, std::error_code& ec) {
    pdu_ptr pdu(snmp_pdu_create(command));
    for (const auto& o : oids) snmp_add_null_var(pdu.get(), o.data(), o.size());
    auto resp = exchange(std::move(pdu), ec);
    std::vector<varbind> out;
    if (!resp) return out;
    for (auto* v = resp->variables; v; v = v->next_variable) out.push_back(decode_varbind(*v));
    return out;
  }
};

namespace {

// A Ku (RFC 3414 §2.6) from `passphrase` with the hash `proto`, into `key`.
// Throws std::system_error (api_category) with what generate_Ku said, e.g.
// SNMPERR_GENERR for a passphrase under 8 characters.
void derive_key(const oid* proto, std::size_t proto_length, const std::string& passphrase, u_char* key,
                std::size_t* key_length, const char* what) {
  const int rc = generate_Ku(proto, static_cast<u_int>(proto_length),
                             reinterpret_cast<const u_char*>(passphrase.data()), passphrase.size(), key, key_length);
  if (rc != SNMPERR_SUCCESS)
    throw std::system_error(rc, api_category(), std::string("cannot derive the SNMPv3 ") + what + " key");
}

// The OID `proto` (length `length`) in a buffer of its own.
oid_ptr duplicate(const oid* proto, std::size_t length) { return oid_ptr(snmp_duplicate_objid(proto, length)); }

}  // namespace

session_template::session_template(const session_options& o) {
  init_client_library("fleetreg");
  auto& s = s_;
  snmp_sess_init(&s);
  s.peername = const_cast<char*>(o.peer.c_str());
  s.timeout = static_cast<long>(o.timeout.count()) * 1000;
  s.retries = o.retries;
  if (o.version != snmp_version::v3) {
    s.version = o.version == snmp_version::v1 ? SNMP_VERSION_1 : SNMP_VERSION_2c;
    s.community = reinterpret_cast<u_char*>(const_cast<char*>(o.community.c_str()));
    s.community_len = o.community.size();
    return;
  }
  s.version = SNMP_VERSION_3;
  s.securityModel = SNMP_SEC_MODEL_USM;
  s.securityName = const_cast<char*>(o.user.c_str());
  s.securityNameLen = o.user.size();
  switch (o.level) {
    case security_level::no_auth_no_priv:
      s.securityLevel = SNMP_SEC_LEVEL_NOAUTH;
      break;
    case security_level::auth_no_priv:
      s.securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
      break;
    case security_level::auth_priv:
      s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
      break;
  }
  // The protocol OIDs are ours (auth_proto_, priv_proto_): freed by their
  // handles also when a key derivation below throws.
  if (o.level != security_level::no_auth_no_priv) {
    switch (o.auth) {
      case auth_protocol::sha1:
        auth_proto_ = duplicate(usmHMACSHA1AuthProtocol, USM_AUTH_PROTO_SHA_LEN);
        s.securityAuthProtoLen = USM_AUTH_PROTO_SHA_LEN;
        break;
      case auth_protocol::sha256:
        auth_proto_ = duplicate(usmHMAC192SHA256AuthProtocol, OID_LENGTH(usmHMAC192SHA256AuthProtocol));
        s.securityAuthProtoLen = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
        break;
      case auth_protocol::sha512:
        auth_proto_ = duplicate(usmHMAC384SHA512AuthProtocol, OID_LENGTH(usmHMAC384SHA512AuthProtocol));
        s.securityAuthProtoLen = OID_LENGTH(usmHMAC384SHA512AuthProtocol);
        break;
    }
    s.securityAuthProto = auth_proto_.get();
    s.securityAuthKeyLen = USM_AUTH_KU_LEN;
    derive_key(s.securityAuthProto, s.securityAuthProtoLen, o.auth_passphrase, s.securityAuthKey, &s.securityAuthKeyLen,
               "authentication");
  }
  if (o.level == security_level::auth_priv) {
    priv_proto_ = duplicate(usmAESPrivProtocol, USM_PRIV_PROTO_AES_LEN);
    s.securityPrivProto = priv_proto_.get();
    s.securityPrivProtoLen = USM_PRIV_PROTO_AES_LEN;
    s.securityPrivKeyLen = USM_PRIV_KU_LEN;
    // The privacy key is derived with the authentication hash (RFC 3826).
    derive_key(s.securityAuthProto, s.securityAuthProtoLen, o.priv_passphrase, s.securityPrivKey, &s.securityPrivKeyLen,
               "privacy");
  }
}

void forget_usm_user(const unsigned char* engine_id, std::size_t engine_id_length, const std::string& user) {
  if (!engine_id || engine_id_length == 0) return;
  if (auto* u = usm_get_user(engine_id, engine_id_length, user.c_str()); u && u->engineIDLen) {
    usm_remove_user(u);  // out of the table (it returns the list's new head): ours to free now
    const usm_user_ptr removed(u);
  }
}

session_template::~session_template() = default;

client::client(const session_options& o) : impl_(std::make_unique<impl>()) {
  impl_->version = o.version;
  const session_template tmpl(o);
  auto s = tmpl.copy();
  void* handle = snmp_sess_open(&s);  // copies what it needs
  if (!handle) {
    const int err = snmp_errno ? snmp_errno : SNMPERR_GENERR;
    throw std::system_error(err, api_category(), "cannot open SNMP session to " + o.peer);
  }
  impl_->session.reset(handle);
}

client::~client() = default;

std::vector<varbind> client::get(const std::vector<oid_vector>& oids, std::error_code& ec) {
  return impl_->request(SNMP_MSG_GET, oids, ec);
}

std::vector<varbind> client::get_next(const std::vector<oid_vector>& oids, std::error_code& ec) {
  return impl_->request(SNMP_MSG_GETNEXT, oids, ec);
}

std::vector<varbind> client::walk(const oid_vector& root, std::error_code& ec, std::size_t max) {
  std::vector<varbind> out;
  impl_->walk_from(root, root, out, max, 25, ec, nullptr);
  return out;
}

std::vector<varbind> client::walk_many(const std::vector<oid_vector>& roots_in, std::error_code& ec, std::size_t max,
                                       int repetitions, std::size_t* round_trips) {
  ec.clear();
  std::vector<varbind> out;
  // Each subtree once: sorted, duplicates and subtrees of another dropped.
  auto roots = roots_in;
  std::sort(roots.begin(), roots.end());
  std::vector<oid_vector> unique_roots;
  for (auto& r : roots)
    if (unique_roots.empty() || !starts_with(r, unique_roots.back())) unique_roots.push_back(std::move(r));
  if (impl_->version == snmp_version::v1) {
    for (const auto& root : unique_roots) {
      auto part = walk(root, ec, max - out.size());
      if (round_trips) *round_trips += part.size() + 1;
      std::move(part.begin(), part.end(), std::back_inserter(out));
      if (ec || out.size() >= max) break;
    }
    return out;
  }
  struct cursor_of {
    oid_vector root, at;
  };
  const int reps_start = std::max(1, repetitions);
  // One subtree from its cursor, one GETBULK varbind at a time: for agents
  // that do not answer a many-varbind GETBULK row by row (RFC 3416 4.2.3).
  auto walk_alone = [&](const cursor_of& c) { impl_->walk_from(c.root, c.at, out, max, reps_start, ec, round_trips); };
  constexpr std::size_t max_bulk_varbinds = 64;
  std::vector<cursor_of> open;
  for (const auto& r : unique_roots) open.push_back({r, r});
  int reps = reps_start;
  while (!open.empty() && out.size() < max) {
    pdu_ptr pdu(snmp_pdu_create(SNMP_MSG_GETBULK));
    pdu->non_repeaters = 0;
    // At most about 64 varbinds asked for at once: agents in printers (and
    // snmpsim) answer a bigger GETBULK slowly or not within the timeout.
    const int asked = std::max(1, std::min(reps, static_cast<int>(max_bulk_varbinds / open.size())));
    pdu->max_repetitions = asked;
    for (const auto& c : open) snmp_add_null_var(pdu.get(), c.at.data(), c.at.size());
    if (round_trips) ++*round_trips;
    auto resp = impl_->exchange(std::move(pdu), ec);
    if (!resp) {
      if (ec == std::error_code(SNMP_ERR_TOOBIG, pdu_category()) && asked > 1) {
        reps = asked / 2;
        continue;
      }
      return out;
    }
    // The response holds rows of `open.size()` varbinds, one per cursor.
    std::vector<bool> done(open.size(), false);
    std::size_t column = 0;
    bool progressed = false, row_by_row = true;
    for (auto* v = resp->variables; v; v = v->next_variable, column = (column + 1) % open.size()) {
      if (done[column]) continue;
      auto& c = open[column];
      oid_vector name(v->name, v->name + v->name_length);
      if (v->type == SNMP_ENDOFMIBVIEW || !starts_with(name, c.root)) {
        // Past its subtree: the column ended (its next object lies in a
        // later subtree: the roots are sorted), unless the object belongs to
        // an earlier subtree: then the agent did not answer row by row.
        for (std::size_t i = 0; i < column; ++i)
          if (v->type != SNMP_ENDOFMIBVIEW && starts_with(name, open[i].root)) row_by_row = false;
        if (!row_by_row) break;
        done[column] = true;
        continue;
      }
      if (snmp_oid_compare(name.data(), name.size(), c.at.data(), c.at.size()) <= 0) {
        ec = std::error_code(SNMPERR_GENERR, api_category());  // agent went backwards
        return out;
      }
      c.at = name;
      out.push_back({std::move(name), decode(*v)});
      progressed = true;
      if (out.size() >= max) return out;
    }
    if (!row_by_row) {
      for (std::size_t i = 0; i < open.size() && !ec; ++i)
        if (!done[i]) walk_alone(open[i]);
      return out;
    }
    // A cursor whose column the agent cut short (fewer rows than asked) may
    // still have more: it stays open unless its subtree ended.
    std::vector<cursor_of> still;
    for (std::size_t i = 0; i < open.size(); ++i)
      if (!done[i]) still.push_back(std::move(open[i]));
    open = std::move(still);
    if (!progressed) break;
  }
  return out;
}

void client::set(const std::vector<varbind>& vbs, std::error_code& ec, long* error_index) {
  pdu_ptr pdu(snmp_pdu_create(SNMP_MSG_SET));
  for (const auto& vb : vbs)
    if (!add_varbind(*pdu, vb)) {
      ec = std::error_code(SNMPERR_MALLOC, api_category());
      return;
    }
  impl_->exchange(std::move(pdu), ec, error_index);
}

}  // namespace fleetreg::snmp
