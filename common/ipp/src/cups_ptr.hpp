// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cups/cups.h>
#include <cups/ipp.h>

#include <memory>

/// Owning handles for libcups objects: the one place in the tree that closes
/// an http_t or deletes an ipp_t (Chromium's cups_deleters.h).
namespace fleetreg::ipp::detail {

/// httpClose.
struct http_deleter {
  void operator()(http_t* h) const noexcept { httpClose(h); }
};
/// A connection to a printer (httpConnect2).
using http_ptr = std::unique_ptr<http_t, http_deleter>;

/// ippDelete.
struct ipp_deleter {
  void operator()(ipp_t* i) const noexcept { ippDelete(i); }
};
/// An IPP message (ippNewRequest, a response of cupsDoRequest). Hand a request
/// to cupsDoRequest with release(): it frees the request in every case.
using ipp_ptr = std::unique_ptr<ipp_t, ipp_deleter>;

}  // namespace fleetreg::ipp::detail
