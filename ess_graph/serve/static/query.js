// essgraph query page: saved queries as examples, results as a table whose
// IRIs link to resource pages, downloads in every format. No external fetch.
(function () {
  "use strict";
  const saved = JSON.parse(document.getElementById("saved-queries").textContent);
  const byName = Object.fromEntries(saved.map((q) => [q.name, q]));
  const base = window.ESSGRAPH_RESOURCE_BASE || "https://w3id.org/essgraph/id/";
  const ESS = "https://w3id.org/essgraph/ontology#";
  const prefixes = JSON.parse(document.getElementById("prefixes").textContent);
  const $ = (id) => document.getElementById(id);
  const textarea = $("query"), select = $("saved"), statusEl = $("status"), results = $("results");
  const terms = JSON.parse(($("terms") || { textContent: "[]" }).textContent);
  // The editor: CodeMirror (vendored under /static/vendor/codemirror) with the
  // SPARQL mode and completion of prefixes and ontology terms; the plain
  // textarea when it is not available. `editor.value` reads and writes either.
  let cm = null;
  const editor = {
    get value() { return cm ? cm.getValue() : textarea.value; },
    set value(v) { if (cm) cm.setValue(v); else textarea.value = v; },
  };
  let current = null; // the selected saved query, while its text is unchanged

  function setStatus(text, error) {
    statusEl.textContent = text;
    statusEl.className = error ? "error" : "";
  }

  function linkFor(iri) {
    if (iri.startsWith(base)) return "/id/" + iri.slice(base.length).split("/").map(encodeURIComponent).join("/").replace(/%23/g, "#");
    if (iri.startsWith(ESS)) return "/ontology#" + encodeURIComponent(iri.slice(ESS.length));
    return "/resource?iri=" + encodeURIComponent(iri);
  }

  // the browser side of ess_graph/curie.py (same rules): a pasteable prefixed
  // name, reserved characters escaped per SPARQL's PN_LOCAL, else <iri>
  const PN_CHARS = /^[A-Za-z0-9_\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\u{10000}-\u{EFFFF}]$/u;
  const ESCAPABLE = "_~.-!$&'()*+,;=/?#@%";
  function escapeLocal(local) {
    const cs = Array.from(local);
    let out = "";
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i], first = i === 0;
      if (c === "%" && /^[0-9A-Fa-f]{2}$/.test((cs[i + 1] || "") + (cs[i + 2] || ""))) { out += c + cs[i + 1] + cs[i + 2]; i += 2; }
      else if (c === ":" || (PN_CHARS.test(c) && !(first && /[-\u00B7\u0300-\u036F\u203F\u2040]/.test(c)))) out += c;
      else if (ESCAPABLE.includes(c) && c !== "%") out += "\\" + c;
      else return null;
    }
    return out;
  }
  const sortedPrefixes = Object.entries(prefixes).map((kv, i) => [kv[0], kv[1], i])
    .sort((a, b) => b[1].length - a[1].length || a[2] - b[2]);
  function curie(iri) {
    for (const [p, ns] of sortedPrefixes) {
      if (!iri.startsWith(ns)) continue;
      const local = escapeLocal(iri.slice(ns.length));
      if (local !== null) return p + ":" + local;
    }
    return "<" + iri + ">";
  }

  function cell(term) {
    const td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri") {
      const a = document.createElement("a");
      a.href = linkFor(term.value);
      a.title = term.value;
      a.textContent = curie(term.value);
      a.className = "iri";
      td.appendChild(a);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
    } else {
      td.appendChild(document.createTextNode(term.value));
      const extra = term["xml:lang"] ? "@" + term["xml:lang"] : (term.datatype && !term.datatype.endsWith("#string") ? curie(term.datatype) : "");
      if (extra) {
        const s = document.createElement("span");
        s.className = "dt";
        s.textContent = " " + extra;
        td.appendChild(s);
      }
    }
    return td;
  }

  function table(vars, rows) {
    const t = document.createElement("table");
    t.id = "results-table";
    const thead = t.createTHead().insertRow();
    for (const v of vars) {
      const th = document.createElement("th");
      th.textContent = v;
      thead.appendChild(th);
    }
    const tbody = t.createTBody();
    for (const row of rows) {
      const tr = tbody.insertRow();
      for (const v of vars) tr.appendChild(cell(row[v]));
    }
    return t;
  }

  // N-Triples -> rows {s,p,o} (for CONSTRUCT / DESCRIBE results)
  const NT_TERM = /<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^<([^>]*)>)?/g;
  function unescapeNt(s) {
    return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})|\\(.)/g, (m, u, U, c) =>
      u ? String.fromCharCode(parseInt(u, 16)) : U ? String.fromCodePoint(parseInt(U, 16)) :
        ({ n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" }[c] || c));
  }
  function parseNTriples(text) {
    const rows = [];
    for (const line of text.split("\n")) {
      if (!line.trim() || line.startsWith("#")) continue;
      const terms = [];
      NT_TERM.lastIndex = 0;
      let m;
      while ((m = NT_TERM.exec(line)) && terms.length < 3) {
        if (m[1] !== undefined) terms.push({ type: "uri", value: m[1] });
        else if (m[2] !== undefined) terms.push({ type: "bnode", value: m[2] });
        else terms.push({ type: "literal", value: unescapeNt(m[3]), "xml:lang": m[4], datatype: m[5] });
      }
      if (terms.length === 3) rows.push({ subject: terms[0], predicate: terms[1], object: terms[2] });
    }
    return rows;
  }

  function paramValues() {
    const out = new URLSearchParams();
    for (const input of document.querySelectorAll("#params input")) {
      if (input.value.trim() !== "") out.append(input.name, input.value.trim());
    }
    return out;
  }

  function showParams(q) {
    const box = $("params");
    box.textContent = "";
    if (!q) return;
    for (const p of q.params) {
      const label = document.createElement("label");
      label.textContent = p.name + " (" + p.type + (p.required ? ", required" : "") + ")";
      const input = document.createElement("input");
      input.name = p.name;
      input.placeholder = p.description || "";
      if (p.default !== null && p.default !== undefined) input.value = p.default;
      label.appendChild(input);
      box.appendChild(label);
    }
  }

  function choose(name) {
    const q = byName[name];
    current = q || null;
    $("saved-desc").textContent = q ? q.description : "";
    const note = $("saved-service");
    if (q && q.service && q.service.length) {
      note.textContent = "Federated: needs SERVICE to " + q.service.join(", ") + " (network access to that endpoint).";
      note.hidden = false;
    } else {
      note.textContent = "";
      note.hidden = true;
    }
    showParams(q);
    if (q) editor.value = q.text;
  }

  function request(format) {
    // a saved query whose text was not edited runs through the saved-query API
    // (typed parameters bound by the server); anything else goes to /sparql
    if (current && editor.value === current.text) {
      const params = paramValues();
      params.set("per_page", "1000");
      if (format) params.set("format", format);
      return { url: "/queries/" + encodeURIComponent(current.name) + "?" + params.toString(), saved: true };
    }
    return { url: "/sparql", saved: false };
  }

  async function run() {
    const req = request(null);
    setStatus("running…");
    results.textContent = "";
    const t0 = performance.now();
    const accept = "application/sparql-results+json, application/n-triples;q=0.9";
    let resp;
    try {
      if (req.saved) {
        resp = await fetch(req.url, { headers: { Accept: accept } });
      } else {
        resp = await fetch("/sparql", {
          method: "POST",
          headers: { Accept: accept, "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ query: editor.value }).toString(),
        });
      }
    } catch (e) {
      setStatus("network error: " + e, true);
      return;
    }
    const ms = Math.round(performance.now() - t0);
    const body = await resp.text();
    if (!resp.ok) {
      setStatus("error " + resp.status + " (" + ms + " ms)", true);
      const pre = document.createElement("pre");
      pre.className = "error";
      pre.textContent = body;
      results.appendChild(pre);
      return;
    }
    const ctype = resp.headers.get("content-type") || "";
    if (ctype.includes("sparql-results+json")) {
      const data = JSON.parse(body);
      if ("boolean" in data) {
        setStatus("ASK → " + data.boolean + " (" + ms + " ms)");
        const p = document.createElement("p");
        p.id = "results-boolean";
        p.textContent = String(data.boolean);
        results.appendChild(p);
        return;
      }
      const rows = data.results.bindings;
      const total = resp.headers.get("x-total-count");
      setStatus(rows.length + " row" + (rows.length === 1 ? "" : "s") + (total && +total > rows.length ? " of " + total : "") + " (" + ms + " ms)");
      results.appendChild(table(data.head.vars, rows));
    } else if (ctype.includes("n-triples")) {
      const rows = parseNTriples(body);
      setStatus(rows.length + " triple" + (rows.length === 1 ? "" : "s") + " (" + ms + " ms)");
      results.appendChild(table(["subject", "predicate", "object"], rows));
    } else {
      setStatus("done (" + ms + " ms)");
      const pre = document.createElement("pre");
      pre.className = "raw";
      pre.textContent = body;
      results.appendChild(pre);
    }
  }

  function download(format) {
    const req = request(format);
    if (req.saved) {
      window.open(req.url, "_blank");
      return;
    }
    const form = $("download-form");
    form.elements.query.value = editor.value;
    form.elements.format.value = format;
    form.submit();
  }

  // offer the download formats that fit the query form
  const GRAPH_FORMATS = ["turtle", "ntriples", "jsonld", "rdfxml", "nquads", "trig"];
  function updateDownloads() {
    const body = editor.value.replace(/#[^\n]*/g, "").replace(/(PREFIX|BASE)\s+[^<]*<[^>]*>/gi, "");
    const m = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(body);
    const graph = m && /CONSTRUCT|DESCRIBE/i.test(m[1]);
    for (const b of document.querySelectorAll("#downloads button")) {
      b.hidden = GRAPH_FORMATS.includes(b.dataset.format) ? !graph : !!graph;
    }
  }
  const KEYWORDS = ["SELECT", "DISTINCT", "WHERE", "OPTIONAL", "FILTER", "GRAPH", "UNION", "MINUS", "BIND",
    "VALUES", "GROUP BY", "ORDER BY", "LIMIT", "OFFSET", "CONSTRUCT", "DESCRIBE", "ASK", "PREFIX",
    "COUNT", "SAMPLE", "GROUP_CONCAT", "STR", "LANG", "LANGMATCHES", "REGEX", "CONTAINS", "STRSTARTS",
    "EXISTS", "NOT EXISTS", "SERVICE", "HAVING", "AS", "DESC", "ASC", "a"];

  // completion: prefixes (PREFIX lines get the whole declaration), then the
  // ontology's classes and properties (prefixed names), then keywords
  function sparqlHint(ed) {
    const cur = ed.getCursor(), line = ed.getLine(cur.line);
    let start = cur.ch;
    while (start > 0 && /[\w:\-.]/.test(line.charAt(start - 1))) start--;
    const word = line.slice(start, cur.ch);
    const onPrefixLine = /^\s*PREFIX\s+[\w-]*$/i.test(line.slice(0, cur.ch));
    const list = [];
    const low = word.toLowerCase();
    if (onPrefixLine) {
      for (const [p, ns] of Object.entries(prefixes)) {
        if (p.startsWith(low.replace(/:$/, ""))) list.push({ text: p + ": <" + ns + ">", displayText: p + ": <" + ns + ">", className: "hint-prefix" });
      }
    } else if (word.includes(":")) {
      for (const t of terms) {
        if (t.curie.toLowerCase().startsWith(low)) list.push({ text: t.curie, displayText: t.curie + (t.label ? " — " + t.label : ""), className: "hint-" + t.kind });
      }
      for (const t of terms) {
        if (!t.curie.toLowerCase().startsWith(low) && t.label && word.endsWith(":") === false && t.curie.split(":")[0] === low.split(":")[0] && t.label.toLowerCase().includes(low.split(":")[1])) {
          list.push({ text: t.curie, displayText: t.curie + " — " + t.label, className: "hint-" + t.kind });
        }
      }
    } else {
      for (const p of Object.keys(prefixes)) {
        if (p.startsWith(low)) list.push({ text: p + ":", displayText: p + ":  " + prefixes[p], className: "hint-prefix" });
      }
      for (const k of KEYWORDS) {
        if (word && k.toLowerCase().startsWith(low)) list.push({ text: k, displayText: k, className: "hint-keyword" });
      }
    }
    return { list: list.slice(0, 200), from: window.CodeMirror.Pos(cur.line, start), to: window.CodeMirror.Pos(cur.line, cur.ch) };
  }

  if (window.CodeMirror) {
    cm = window.CodeMirror.fromTextArea(textarea, {
      mode: "application/sparql-query", lineNumbers: true, matchBrackets: true, autoCloseBrackets: true,
      indentUnit: 2, tabSize: 2, viewportMargin: Infinity,
      extraKeys: {
        "Ctrl-Enter": () => run(), "Cmd-Enter": () => run(),
        "Ctrl-Space": (ed) => ed.showHint({ hint: sparqlHint, completeSingle: false }),
        Tab: (ed) => ed.replaceSelection("  "),
      },
    });
    cm.on("change", () => { cm.save(); updateDownloads(); });
    // propose completions while typing a prefixed name
    cm.on("inputRead", (ed, change) => {
      if (ed.state.completionActive) return;
      const ch = change.text[change.text.length - 1];
      if (/[\w:]$/.test(ch)) {
        const cur = ed.getCursor(), line = ed.getLine(cur.line).slice(0, cur.ch);
        if (/[\w-]+:[\w-]*$/.test(line) || /^\s*PREFIX\s+[\w-]+$/i.test(line)) {
          ed.showHint({ hint: sparqlHint, completeSingle: false });
        }
      }
    });
    window.essgraphEditor = cm;
  } else {
    textarea.addEventListener("input", updateDownloads);
    textarea.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        run();
      } else if (e.key === "Tab" && !e.shiftKey) {
        e.preventDefault();
        const s = textarea.selectionStart;
        textarea.setRangeText("  ", s, textarea.selectionEnd, "end");
      }
    });
  }
  select.addEventListener("change", () => { choose(select.value); updateDownloads(); });
  $("run").addEventListener("click", run);
  for (const b of document.querySelectorAll("#downloads button")) {
    b.addEventListener("click", () => download(b.dataset.format));
  }
  if (select.value) choose(select.value);
  updateDownloads();
})();
