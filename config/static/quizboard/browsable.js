// The browsable API (config/templates/rest_framework/api.html): a link with data-submit="<form id>"
// submits that form (the logout), in place of DRF's inline onclick, which the page's CSP refuses.
"use strict";
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-submit]");
  if (!link) return;
  event.preventDefault();
  document.getElementById(link.dataset.submit).submit();
});
