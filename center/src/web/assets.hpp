// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The dealer site's static assets, compiled in from center/web/.
namespace fleetreg::center::web_assets {

extern const char* const site_css;

}  // namespace fleetreg::center::web_assets
