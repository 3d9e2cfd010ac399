// Search page: Pagefind (extended, Chinese) with the query and filters in the URL, so links can be shared.
const FILTER_PARAMS = { kind: "类别", district: "区县", department: "部门", year: "年度" };
const PAGE = 10;
const KIND_LABELS = { licensing: "行政许可", penalty: "行政处罚", redlist: "红名单", blacklist: "黑名单", case: "典型案例" };

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const filterBox = document.getElementById("filters");
const statusLine = document.getElementById("search-status");
const list = document.getElementById("results");
const more = document.getElementById("more");
const none = document.getElementById("no-results");

let pagefind;
let bundles = []; // newest first, from /pagefind/bundles.json (see disclosure/site/bundles.py)
let merged = 0;
let merging = Promise.resolve();
let current = { results: [], shown: 0, token: 0 };
let districts = []; // the 区县 filter's values, from the page (see districtFilter)

// A credit code, licence or other number typed whole (letters and digits, one word, 8 or more
// characters with a digit) is searched for exactly.  Otherwise a bundle without it answers with the
// longest word of its own that the number starts with (a licence's "ws" prefix, docs/search.md,
// cause 3): look-alikes that fill the first page before the bundle holding the number is merged.
const IDENTIFIER = /^(?=[0-9A-Za-z]*[0-9])[0-9A-Za-z]{8,}$/;

// "鼓楼区 餐饮": a word of the query that names a district (or a district without 区/县/市, "鼓楼")
// becomes the 区县 filter.  Records are filed under the district of their credit code, which their
// names often do not say, and the browser cuts 鼓楼区 into 鼓|楼|区, which few records have as words.
// Only whole words separated by spaces, and only when no district is chosen by hand.
function districtFilter(q, filters) {
  const words = q.split(/\s+/).filter(Boolean);
  if (filters["区县"] || words.length < 2) return { q, filters };
  const named = (word) =>
    districts.find((d) => d === word || (word.length >= 2 && d.length > word.length && d.slice(0, -1) === word && /[区县市]$/.test(d)));
  const found = words.map(named);
  const district = found.find(Boolean);
  if (!district) return { q, filters };
  return {
    q: words.filter((_, i) => !found[i]).join(" "),
    filters: { ...filters, 区县: [district] },
    district,
  };
}

// Bundles are merged newest first and only as far as needed: a query's first results rarely need
// more than the newest one, so the first answer loads little; the rest are merged to count.
// ``count`` bundles are merged at once (their files load in parallel): a rare query that has to
// look through every bundle then waits for a few rounds of loading, not one round per bundle.
function mergeMore(count) {
  merging = merging.then(async () => {
    const start = merged;
    const stop = Math.min(bundles.length, merged + count);
    await Promise.all(
      bundles
        .slice(start, stop)
        .map((bundle, i) => (start + i > 0 ? pagefind.mergeIndex(bundle.path, { indexWeight: bundle.weight }) : null)),
    );
    merged = stop;
  });
  return merging;
}

// Pagefind 1.5.2 loads, for each query word, only the index chunk whose word range holds the word
// itself; the words it starts ("福州市" starts 福州市仓山区…, 福州市鼓楼区…) can run on into the next chunk,
// and those are then never found (docs/search.md).  So the chunks holding the end of each word's run
// are loaded first: the word followed by U+FFFB, which sorts after every character of a name, and
// which the browser's segmenter keeps in the same word (a format character; trim() keeps it too).
const segmenter = new Intl.Segmenter("zh-CN", { granularity: "word" });
const RUN_END = "\ufffb";

function runEnds(q) {
  return [...segmenter.segment(q.replace(/"/g, " "))]
    .filter((s) => s.isWordLike)
    .map((s) => s.segment + RUN_END)
    .join(" ");
}

async function searchMerged(q, filters) {
  if (q) await pagefind.preload(runEnds(q), { filters });
  return pagefind.search(q || null, { filters, sort: { date: "desc" } });
}

function paramsFromUrl() {
  const url = new URL(window.location.href);
  const filters = {};
  for (const [param, name] of Object.entries(FILTER_PARAMS)) {
    const values = url.searchParams.getAll(param).filter(Boolean);
    if (values.length) filters[name] = values;
  }
  return { q: (url.searchParams.get("q") || "").trim(), filters };
}

function writeUrl(q, filters) {
  const url = new URL(window.location.href);
  url.search = "";
  if (q) url.searchParams.set("q", q);
  for (const [param, name] of Object.entries(FILTER_PARAMS)) {
    for (const value of filters[name] || []) url.searchParams.append(param, value);
  }
  history.replaceState(null, "", url);
}

function selectedFilters() {
  const filters = {};
  for (const box of filterBox.querySelectorAll("input[type=checkbox]:checked")) {
    (filters[box.dataset.filter] ||= []).push(box.value);
  }
  return filters;
}

function renderFilters(available, selected) {
  filterBox.querySelectorAll(".group, .hint").forEach((el) => el.remove());
  for (const name of Object.values(FILTER_PARAMS)) {
    const values = Object.keys(available[name] || {}).sort((a, b) => (name === "年度" ? b.localeCompare(a) : a.localeCompare(b, "zh-CN")));
    if (!values.length) continue;
    const group = document.createElement("div");
    group.className = "group";
    group.setAttribute("role", "group");
    const title = document.createElement("span");
    title.className = "group-name";
    title.id = `filter-${name}`;
    title.textContent = name;
    group.setAttribute("aria-labelledby", title.id);
    group.append(title);
    for (const value of values) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.value = value;
      box.dataset.filter = name;
      box.checked = (selected[name] || []).includes(value);
      box.addEventListener("change", () => run());
      label.append(box, ` ${value}`);
      group.append(label);
    }
    filterBox.append(group);
  }
}

function resultItem(data) {
  const li = document.createElement("li");
  const link = document.createElement("a");
  link.href = data.url;
  const title = document.createElement("bdi"); // isolate: a name cannot reorder the page around it
  title.textContent = data.meta.title || data.url;
  link.append(title);
  const heading = document.createElement("h2");
  heading.className = "result-title";
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "meta";
  const kind = KIND_LABELS[new URL(data.url, window.location.href).pathname.split("/")[1]];
  const date = (data.filters["日期"] || [])[0]; // a filter, so that it is not indexed (search_entry.html)
  meta.textContent = [kind, date].filter(Boolean).join(" · ");
  if (data.meta.entity) {
    const entity = document.createElement("a");
    entity.href = `/entity/${encodeURIComponent(data.meta.entity)}/`;
    entity.textContent = "该主体的全部信息";
    meta.append(" · ", entity);
  }
  const excerpt = document.createElement("bdi");
  excerpt.className = "excerpt";
  excerpt.innerHTML = data.excerpt; // Pagefind escapes the indexed text and adds <mark> only
  li.append(heading, meta, excerpt);
  return li;
}

async function showMore() {
  const token = current.token;
  const batch = current.results.slice(current.shown, current.shown + PAGE);
  const items = await Promise.all(batch.map((r) => r.data()));
  if (token !== current.token) return;
  for (const data of items) list.append(resultItem(data));
  current.shown += batch.length;
  more.hidden = current.shown >= current.results.length;
}

async function run() {
  const q = input.value.trim();
  const filters = selectedFilters();
  writeUrl(q, filters);
  const token = ++current.token;
  list.replaceChildren();
  none.hidden = true;
  more.hidden = true;
  if (!q && !Object.keys(filters).length) {
    statusLine.textContent = "";
    return;
  }
  statusLine.textContent = "正在搜索……";
  const asked = districtFilter(q, filters);
  // An identifier is looked for exactly in every bundle; if none has it, as any other query.
  let terms = IDENTIFIER.test(asked.q) ? `"${asked.q}"` : asked.q;
  let search = await firstPage(terms, asked.filters);
  if (!search.results.length && terms !== asked.q) {
    terms = asked.q;
    search = await firstPage(terms, asked.filters);
  }
  if (token !== current.token) return;
  current = { results: search.results, shown: 0, token };
  const how = asked.district ? `（已按区县“${asked.district}”筛选）` : "";
  if (!search.results.length) {
    statusLine.textContent = q ? `没有找到与“${q}”匹配的信息${how}。` : "没有符合筛选条件的信息。";
    none.hidden = false;
    return;
  }
  await showMore();
  if (token !== current.token) return;
  // The status is set last: when it says 找到, the first results are on the page.
  const complete = merged >= bundles.length;
  statusLine.textContent = complete
    ? `找到 ${search.results.length} 条结果${how}，按日期从新到旧排列。`
    : `找到 ${search.results.length} 条以上结果${how}，按日期从新到旧排列，正在统计总数……`;
  if (!complete) countTheRest(terms, asked.filters, how, token);
}

// Merges bundles, newest first, until the query has a page of results or none are left.
async function firstPage(terms, filters) {
  let search = await searchMerged(terms, filters);
  let batch = 1;
  while (search.results.length < PAGE && merged < bundles.length) {
    await mergeMore(batch);
    batch *= 2; // 1, 2, 4, 8 … bundles a round
    search = await searchMerged(terms, filters);
  }
  return search;
}

async function countTheRest(terms, filters, how, token) {
  while (merged < bundles.length) await mergeMore(4);
  const search = await searchMerged(terms, filters);
  if (token !== current.token) return;
  current.results = search.results; // newer bundles outrank older ones: what is shown stays first
  statusLine.textContent = `找到 ${search.results.length} 条结果${how}，按日期从新到旧排列。`;
  more.hidden = current.shown >= current.results.length;
}

function moveFocus(step) {
  const links = [...list.querySelectorAll(".result-title a")];
  if (!links.length) return;
  const at = links.indexOf(document.activeElement);
  const next = at === -1 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step));
  links.forEach((a, i) => a.closest("li").classList.toggle("active", i === next));
  links[next].focus();
}

async function main() {
  const { q, filters } = paramsFromUrl();
  input.value = q;
  bundles = await (await fetch("/pagefind/bundles.json")).json();
  pagefind = await import(`${bundles[0].path}pagefind.js`);
  await pagefind.options({ excerptLength: 40, indexWeight: bundles[0].weight });
  pagefind.init();
  await mergeMore(1);
  // Filter values come with the page (all bundles'), not from Pagefind (only the merged ones').
  const facets = JSON.parse(document.getElementById("facet-values").textContent);
  districts = Object.keys(facets["区县"] || {}).filter((d) => d !== "其他");
  renderFilters(facets, filters);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  more.addEventListener("click", () => showMore());
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== input) {
      event.preventDefault();
      input.focus();
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp") && list.children.length) {
      event.preventDefault();
      moveFocus(event.key === "ArrowDown" ? 1 : -1);
    }
  });
  document.body.dataset.searchReady = "true";
  if (q || Object.keys(filters).length) await run();
}

main();
