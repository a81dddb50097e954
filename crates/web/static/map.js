// The case map: draws the places listed in the table #places on a Leaflet map over the tile
// server the installation names (data-tiles). Without JavaScript, or when the tiles do not
// load, the table is the page; the map only adds to it.
(function () {
  "use strict";
  var el = document.getElementById("map");
  var table = document.getElementById("places");
  if (!el || !table || !window.L) {
    return;
  }
  el.hidden = false;
  var map = window.L.map(el, { scrollWheelZoom: false });
  el.setAttribute("role", "region");
  el.setAttribute("aria-label", el.getAttribute("data-label") || "");
  window.L.tileLayer(el.getAttribute("data-tiles"), {
    maxZoom: 19,
    attribution: el.getAttribute("data-attribution") || ""
  }).addTo(map);
  var points = [];
  var rows = table.querySelectorAll("tbody tr[data-lat]");
  for (var i = 0; i < rows.length; i++) {
    var row = rows[i];
    var at = [parseFloat(row.getAttribute("data-lat")), parseFloat(row.getAttribute("data-lon"))];
    var link = row.querySelector("a");
    if (isNaN(at[0]) || isNaN(at[1]) || !link) {
      continue;
    }
    var title = link.textContent + " – " + (row.cells[1] ? row.cells[1].textContent : "");
    var popup = document.createElement("a");
    popup.href = link.getAttribute("href");
    popup.textContent = title;
    window.L.marker(at, { title: title, alt: title }).bindPopup(popup).addTo(map);
    points.push(at);
  }
  if (points.length) {
    map.fitBounds(window.L.latLngBounds(points), { maxZoom: 16, padding: [48, 48] });
  }
})();
