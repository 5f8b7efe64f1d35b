// SPDX-License-Identifier: Apache-2.0
// Webhooks (issue 19 step 4): a dealer's HTTPS endpoints for alert events,
// added (the signing secret shown once), removed, and their deliveries.
#include <charconv>

#include "context.hpp"
#include "html.hpp"
#include "layout.hpp"
#include "fleetreg/center/refusal.hpp"

namespace fleetreg::center::web {
namespace {

using html::escape;

std::string webhook_row(const context& c, const webhook& w) {
  return "<tr><td>#" + std::to_string(w.id) + "</td><td>" + escape(w.url) + "</td><td>" + when(w.created_at) +
         "</td><td>" + (w.blocked_until > c.now ? "retrying after " + when(w.blocked_until) : "ready") +
         "</td><td><a href=\"/deliveries?webhook=" + std::to_string(w.id) + "\">Deliveries</a> " +
         button_form("/webhooks/" + std::to_string(w.id) + "/remove", c.me->session.csrf, "Remove", "", "danger") +
         "</td></tr>";
}

std::string delivery_row(const delivery& d) {
  return "<tr><td>#" + std::to_string(d.webhook_id) + "</td><td>" + std::to_string(d.event_id) + "</td><td>" +
         escape(d.state) + "</td><td>" + std::to_string(d.attempts) + "</td><td>" +
         (d.last_status ? std::to_string(d.last_status) : std::string("—")) + "</td><td>" + escape(d.last_error) +
         "</td><td>" + (d.next_attempt_at ? when(*d.next_attempt_at) : "—") + "</td><td>" +
         (d.delivered_at ? when(*d.delivered_at)
          : d.failed_at  ? "gave up " + when(*d.failed_at)
                         : "—") +
         "</td></tr>";
}

}  // namespace

http::response webhooks_page(context& c) {
  std::string rows;
  for (const auto& w : c.svc.webhooks(c.me->acc)) rows += webhook_row(c, w);
  std::string body =
      "<p class=\"meta\">Every raise, acknowledgement and clear of your alerts is POSTed as JSON to each "
      "webhook, signed with its secret (X-Fleetreg-Signature: sha256=HMAC of the body), at least once: "
      "deduplicate by event_id. docs/ALERTS.md shows how to check the signature.</p>" +
      (rows.empty() ? std::string("<p>No webhooks.</p>") : scroll_table({"#", "URL", "Added", "State", ""}, rows));
  if (!c.me->admin()) {
    const auto& me = c.me->acc;
    body +=
        "<h2>E-mail digest</h2><p class=\"meta\">One mail per interval listing your alert events since the "
        "last one (off: leave the addresses empty).</p><form method=\"post\" action=\"/digest\" class=\"card\">" +
        csrf_field(c.me->session.csrf) +
        "<label>Addresses (comma-separated, at most 10) <input name=\"recipients\" maxlength=\"4096\" value=\"" +
        escape(me.digest_recipients) +
        "\"></label><label>Every (minutes) <input name=\"minutes\" type=\"number\" min=\"5\" max=\"10080\" "
        "value=\"" +
        std::to_string(me.digest_interval.count() / 60) + "\"></label><button type=\"submit\">Save</button></form>";
  }
  if (!c.me->admin())
    body += "<h2>New webhook</h2><form method=\"post\" action=\"/webhooks\" class=\"card\">" +
            csrf_field(c.me->session.csrf) +
            "<label>URL (https://…) <input name=\"url\" type=\"url\" required maxlength=\"" +
            std::to_string(max_webhook_url) +
            "\" pattern=\"https://.*\"></label><button type=\"submit\">Add webhook</button></form>";
  return page(200, "Webhooks", body, c.me);
}

http::response webhook_add(context& c) {
  const auto added = c.svc.add_webhook(c.me->acc, c.me->acc, c.field("url"));
  return page(200, "New webhook",
              "<p>Webhook #" + std::to_string(added.hook.id) + " to " + escape(added.hook.url) +
                  ". Its signing secret (shown once; give it to the receiver):</p><p class=\"secret\">" +
                  escape(added.secret) + "</p><p><a href=\"/webhooks\">All webhooks</a></p>",
              c.me);
}

http::response webhook_action(context& c) {
  const auto target = id_and_action(c.req.path, "/webhooks/");
  if (!target || target->second != "remove") no_such_page();
  c.svc.remove_webhook(c.me->acc, target->first);
  return redirect("/webhooks");
}

http::response digest_set(context& c) {
  if (c.me->admin())
    throw refusal(refusal_kind::forbidden,
                  "A dealer sets its own digest; an admin uses fleetreg-centerctl account set --digest.");
  const auto text = c.field("minutes");
  std::int64_t minutes = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), minutes);
  if (ec != std::errc{} || p != text.data() + text.size() || minutes < 5 || minutes > 7 * 24 * 60)
    throw refusal(refusal_kind::invalid, "The interval must be a number of minutes from 5 to 10080.");
  const auto recipients = c.field("recipients");
  c.svc.set_digest(c.me->acc, c.me->acc, recipients.empty() ? "off" : recipients, std::chrono::minutes(minutes));
  return redirect("/webhooks");
}

http::response deliveries_page(context& c) {
  std::int64_t hook = 0;
  if (const auto text = c.param("webhook"); !text.empty()) {
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), hook);
    if (ec != std::errc{} || p != text.data() + text.size() || hook <= 0) no_such_page();
  }
  std::string rows;
  for (const auto& d : c.svc.deliveries(c.me->acc, hook, 200)) rows += delivery_row(d);
  return page(200, hook ? "Deliveries of webhook #" + std::to_string(hook) : std::string("Deliveries"),
              "<p class=\"meta\">The newest 200 events queued to your webhooks: pending ones are retried with "
              "a growing delay (at most an hour) and given up after a day.</p>" +
                  (rows.empty() ? std::string("<p>No deliveries.</p>")
                                : scroll_table({"Webhook", "Event", "State", "Attempts", "HTTP", "Last error",
                                                "Next attempt", "Done"},
                                               rows)) +
                  "<p><a href=\"/webhooks\">Webhooks</a></p>",
              c.me);
}

}  // namespace fleetreg::center::web
