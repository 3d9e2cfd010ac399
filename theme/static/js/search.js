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
let route = { path: "/pagefind/route/", shards: 1 }; // the routing table (disclosure/site/routing.py)
const merged = new Set(); // indexes into bundles
const bundleOfTag = new Map(); // a bundle's tag (in its pages' ids) -> its index in bundles
let merging = Promise.resolve();
let current = { results: [], shown: 0, token: 0 };
let districts = []; // the 区县 filter's values, from the page (see districtFilter)

// A query with a number in it (a credit code, a licence or document number, or its serial): its
// exact matches are all that is shown, when it has any; the query as typed would add look-alikes
// (other documents of the department and year; a licence's "ws" prefix, docs/search.md, cause 3).
const NUMBERED = /[0-9]{4,}/;

// The exact pass (docs/search.md, "Exact matches first"): a query of one word is first searched as
// a phrase in the records' ``exact`` metadata (names, codes and numbers, a word per character
// paired with the next, disclosure/site/search_terms.py), which matches exactly the records whose
// name or number contains it.  These are search_terms.py's functions of the same names.
const HAN = "\\u{3400}-\\u{4dbf}\\u{4e00}-\\u{9fff}\\u{f900}-\\u{faff}\\u{20000}-\\u{3134f}";
const EXACT_TOKEN = new RegExp(`[${HAN}]|[0-9a-z]+`, "gu");
const IS_HAN = new RegExp(`^[${HAN}]$`, "u");

function exactTokens(text) {
  return text.normalize("NFKC").toLowerCase().match(EXACT_TOKEN) || [];
}

function exactWords(tokens) {
  return tokens.map((t, i) => (i + 1 < tokens.length && IS_HAN.test(t) && IS_HAN.test(tokens[i + 1]) ? t + tokens[i + 1] : t));
}

function exactPhrase(tokens) {
  const words = exactWords(tokens);
  return tokens.length && IS_HAN.test(tokens[tokens.length - 1]) ? words.slice(0, -1) : words;
}

function exactCode(word) {
  if (!IS_HAN.test([...word][0])) return `ω${word}`;
  return `ψ${[...word].map((c) => c.codePointAt(0).toString(16).padStart(5, "0")).join("")}`;
}

// routing.py: a key is 2, 3, 4 or 6 neighbouring tokens (Han characters joined, a run of letters
// and digits set apart by a space) or one run.  A query is routed by its longest windows of tokens
// (routeKeys), and, filtered by 区县, also by its pairs of Han characters filed under the district
// (shortKeys).
const WINDOWS = [2, 3, 4, 6];
const DISTRICT_MARK = ":";

function routeKey(tokens) {
  return tokens.map((t, i) => (i && !(IS_HAN.test(t) && IS_HAN.test(tokens[i - 1])) ? ` ${t}` : t)).join("");
}

function windowKeys(tokens, n) {
  if (tokens.length < 2) return tokens.filter((t) => !IS_HAN.test(t));
  const keys = [];
  for (let start = 0; start + n <= tokens.length; start++) keys.push(routeKey(tokens.slice(start, start + n)));
  return [...new Set(keys)];
}

const routeKeys = (tokens) => windowKeys(tokens, Math.max(...WINDOWS.filter((n) => n <= tokens.length)));
const shortKeys = (tokens) => (tokens.length < 2 ? [] : windowKeys(tokens, 2).filter((key) => !key.includes(" ")));

// A few keys, spread over the query, narrow it down as well as all of them; each costs a shard.
function spread(keys, count) {
  if (keys.length <= count) return keys;
  return [...new Set([...Array(count).keys()].map((i) => keys[Math.round((i * (keys.length - 1)) / (count - 1))]))];
}

// routing.shard_of: CRC-32 (zlib's) of the key's UTF-8, modulo the number of shards.
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function shardOf(key, shards) {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(key)) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return ((crc ^ 0xffffffff) >>> 0) & (shards - 1);
}

const shardCache = new Map();
function loadShard(number) {
  if (!shardCache.has(number)) {
    shardCache.set(number, fetch(`${route.path}${number}.json`).then((r) => (r.ok ? r.json() : {})));
  }
  return shardCache.get(number);
}

// What the table says of all the keys together: the bundles that hold every one (a bit mask), and
// the furthest bundle where one key's records reach a page (Infinity when one never does: the
// query then has fewer matches than a page, wherever they are).
async function lookUp(keys) {
  const shards = await Promise.all(keys.map((key) => loadShard(shardOf(key, route.shards))));
  let mask = -1n;
  let reach = -1;
  keys.forEach((key, i) => {
    const [hex, at] = (shards[i][key] || "0").split(",");
    mask &= BigInt(`0x${hex}`);
    reach = Math.max(reach, at === undefined ? Infinity : Number(at));
  });
  return { mask, reach };
}

// The bundles, newest first, that can hold an exact match of the tokens (none when a key is in no
// bundle), and how many of them to merge at once for a first page: up to the reach of the keys.
async function routedBundles(tokens, filters) {
  const districts = filters["区县"] || [];
  const short = spread(shortKeys(tokens), 4);
  const [all, ...filed] = await Promise.all([
    lookUp(spread(routeKeys(tokens), 8)),
    ...districts.map((d) => lookUp(short.map((key) => `${d}${DISTRICT_MARK}${key}`))),
  ]);
  let { mask, reach } = all;
  if (filed.length) {
    mask &= filed.reduce((union, f) => union | f.mask, 0n);
    // One district's reach is a bound for its matches; several districts' matches add up.
    if (filed.length === 1) reach = Math.max(reach, filed[0].reach);
  }
  const order = bundles.map((_, i) => i).filter((i) => (mask >> BigInt(i)) & 1n);
  return { order, first: Math.max(1, order.filter((i) => i <= reach).length) };
}

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
// ``count`` bundles of ``order`` (indexes into bundles) are merged at once (their files load in
// parallel): a rare query that has to look through many bundles then waits for a few rounds of
// loading, not one round per bundle.
function mergeMore(order, count) {
  merging = merging.then(async () => {
    const next = order.filter((i) => !merged.has(i)).slice(0, count);
    await Promise.all(next.map((i) => pagefind.mergeIndex(bundles[i].path)));
    next.forEach((i) => merged.add(i));
  });
  return merging;
}

const allMerged = (order) => order.every((i) => merged.has(i));

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
  const text = data.meta.title || data.url;
  const at = current.exact ? text.indexOf(current.exact) : -1; // an exact match: marked in the name
  if (at >= 0) {
    const mark = document.createElement("mark");
    mark.textContent = current.exact;
    title.append(text.slice(0, at), mark, text.slice(at + current.exact.length));
  } else {
    title.textContent = text;
  }
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
  const plan = await planSearch(asked.q, asked.filters);
  let search = plan.exact ? await firstPage(plan, asked.filters) : null;
  if (!search?.exact) {
    search = await firstPage({ ...plan, exact: null, loose: asked.q, order: bundles.map((_, i) => i), first: 1 }, asked.filters);
  }
  if (token !== current.token) return;
  current = { results: search.results, shown: 0, token, exact: search.exact ? plan.word : null };
  const how = asked.district ? `（已按区县“${asked.district}”筛选）` : "";
  if (!search.results.length) {
    statusLine.textContent = q ? `没有找到与“${q}”匹配的信息${how}。` : "没有符合筛选条件的信息。";
    none.hidden = false;
    return;
  }
  await showMore();
  if (token !== current.token) return;
  // The status is set last: when it says 找到, the first results are on the page.
  const complete = allMerged(search.plan.order);
  statusLine.textContent = complete ? `${found(search, how)}。` : `${found(search, how, "以上")}，正在统计总数……`;
  // Then the count, and the query as typed after a page of exact matches.
  if (!complete || (search.exact && search.plan.loose)) countTheRest(search, asked.filters, how, token);
}

// What to search for: the exact pass's phrase and the bundles that can hold it (one word only:
// a phrase does not span the space between two words), and the query as typed.
async function planSearch(q, filters) {
  const words = q.split(/\s+/).filter(Boolean);
  const tokens = words.length === 1 ? exactTokens(words[0]) : [];
  const phrase = exactPhrase(tokens);
  const { order, first } = phrase.length ? await routedBundles(tokens, filters) : { order: [], first: 1 };
  return {
    word: words[0],
    exact: order.length ? `"${phrase.map(exactCode).join(" ")}"` : null,
    loose: NUMBERED.test(q) ? null : q,
    order,
    first,
  };
}

// Pagefind orders merged results by score, a page's rank in its own bundle's date order: so each
// bundle's results are newest first, and the bundles are put in order here.  A result's id is its
// page's name, "<language>_<bundle tag>-<hash>" (bundles.py); the sort is stable.
function newestFirst(results) {
  const bundleOf = (result) => bundleOfTag.get(result.id.slice(result.id.indexOf("_") + 1, result.id.lastIndexOf("-")));
  return results.sort((a, b) => bundleOf(a) - bundleOf(b));
}

// The results of a plan over the merged bundles: its exact matches first, then those of the query
// as typed (every ICU word the start of an indexed word: a phrase of the 违法事实, or look-alikes).
// In the exact pass, the query as typed comes after the first results are shown (``typed`` false
// until then): its index chunks, in every merged bundle, would be most of what the query loads.
async function searchMerged(plan, filters, typed = true) {
  const exact = plan.exact ? newestFirst((await pagefind.search(plan.exact, { filters, sort: { date: "desc" } })).results) : [];
  if (!plan.loose || (plan.exact && (!exact.length || !typed))) {
    return { plan, exact: exact.length, results: exact };
  }
  await pagefind.preload(runEnds(plan.loose), { filters });
  const loose = newestFirst((await pagefind.search(plan.loose, { filters, sort: { date: "desc" } })).results);
  const seen = new Set(exact.map((r) => r.id));
  return { plan, exact: exact.length, results: [...exact, ...loose.filter((r) => !seen.has(r.id))] };
}

function found(search, how, more = "") {
  return search.exact
    ? `找到 ${search.exact} 条${more}名称、代码或文号包含“${search.plan.word}”的结果${how}，按日期从新到旧排列` +
        (search.results.length > search.exact ? "；其后是含有其中字词的结果" : "")
    : `找到 ${search.results.length} 条${more}结果${how}，按日期从新到旧排列`;
}

// Merges bundles of the plan's order, newest first, until it has a page of results (exact ones, in
// the exact pass) or none are left: first as many as the routing table says a page needs at least.
async function firstPage(plan, filters) {
  const typed = !plan.exact;
  let batch = plan.first;
  await mergeMore(plan.order.slice(0, batch), batch);
  let search = await searchMerged(plan, filters, typed);
  while (search.results.length < PAGE && !allMerged(plan.order)) {
    batch *= 2; // then twice as many bundles each round
    await mergeMore(plan.order, batch);
    search = await searchMerged(plan, filters, typed);
  }
  return search;
}

async function countTheRest(search, filters, how, token) {
  while (!allMerged(search.plan.order)) await mergeMore(search.plan.order, 4);
  const counted = await searchMerged(search.plan, filters);
  if (token !== current.token) return;
  current.results = counted.results; // newer bundles outrank older ones: what is shown stays first
  statusLine.textContent = `${found(counted, how)}。`;
  if (current.shown < PAGE) await showMore(); // a few exact matches: the query as typed fills the page
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
  ({ bundles, route } = await (await fetch("/pagefind/bundles.json")).json());
  pagefind = await import(`${bundles[0].path}pagefind.js`);
  // noWorker: Pagefind's web worker is a second copy of its code (40 KB) loaded before the first
  // answer, to keep a page responsive that has nothing else to do while it searches.
  bundles.forEach((bundle, i) => bundleOfTag.set(bundle.tag, i));
  await pagefind.options({ excerptLength: 40, noWorker: true });
  pagefind.init();
  merged.add(0); // the bundle Pagefind was loaded from
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
