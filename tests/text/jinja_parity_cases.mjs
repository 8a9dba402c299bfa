// Conversations and small templates for jinja_parity.mjs.

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the current weather for a city.\n  Returns temperature and conditions.  ",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string", description: "City name, e.g. Paris" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"], description: "Temperature unit" },
        days: { type: "integer", description: "Forecast days", minimum: 1, maximum: 7, default: 1 },
      },
      required: ["city"],
    },
  },
};

const searchTool = {
  type: "function",
  function: {
    name: "search_docs",
    description: "Search the documentation.",
    parameters: {
      type: "object",
      properties: {
        query: { type: "string", description: "What to look for" },
        filters: {
          type: "object",
          description: "Optional filters",
          properties: {
            site: { type: "string" },
            max_results: { type: "integer", default: 5 },
            score: { type: "number", default: 0.5 },
          },
        },
        tags: { type: "array", items: { type: "string" }, description: "Tags to match" },
        exact: { type: "boolean" },
      },
      required: ["query", "filters"],
    },
    strict: true,
  },
};

const clockTool = {
  type: "function",
  function: { name: "get_time", description: "Current time", parameters: { type: "object", properties: {} }, return: { type: "string" } },
};

const tools = [weatherTool, searchTool, clockTool];

const call = (name, args, id) => ({ id: id ?? "call_12345", type: "function", function: { name, arguments: args } });

export const conversations = {
  single_user: { messages: [{ role: "user", content: "Hello!" }] },
  system_user: {
    messages: [{ role: "system", content: "You are a concise assistant." }, { role: "user", content: "What is 2+2?" }],
  },
  multi_turn: {
    messages: [
      { role: "system", content: "You are helpful." },
      { role: "user", content: "Hi" },
      { role: "assistant", content: "Hello! How can I help?" },
      { role: "user", content: "Tell me a joke." },
    ],
  },
  ends_with_assistant: {
    messages: [
      { role: "user", content: "Start a story." },
      { role: "assistant", content: "Once upon a time" },
      { role: "user", content: "Continue." },
      { role: "assistant", content: "  there was a dragon.  " },
    ],
  },
  think_in_system: {
    messages: [{ role: "system", content: "/think You reason carefully." }, { role: "user", content: "Why is the sky blue?" }],
  },
  no_think_in_user: { messages: [{ role: "user", content: "Quick answer please /no_think" }] },
  think_flags_both: {
    messages: [
      { role: "system", content: "Be brief. /think" },
      { role: "user", content: "Hi /no_think" },
      { role: "assistant", content: "Hello." },
      { role: "user", content: "Now think hard. /think" },
    ],
  },
  reasoning_content: {
    messages: [
      { role: "user", content: "What is 17*3?" },
      { role: "assistant", reasoning_content: "17*3 = 51.\n", content: "51" },
      { role: "user", content: "And 17*4?" },
      { role: "assistant", reasoning_content: "  ", content: "68" },
      { role: "user", content: "Thanks" },
    ],
  },
  think_tags_in_content: {
    messages: [
      { role: "system", content: "You think before answering." },
      { role: "user", content: "Capital of France?" },
      { role: "assistant", content: "<think>\nThe user asks about France.\n</think>\n\nParis." },
      { role: "user", content: "And Italy?" },
      { role: "assistant", content: "<think>Italy -> Rome</think>Rome." },
    ],
  },
  broken_think: {
    messages: [
      { role: "user", content: "a" },
      { role: "assistant", content: "<think>never closed" },
      { role: "user", content: "b" },
      { role: "assistant", content: "stray </think> close" },
      { role: "user", content: "c" },
    ],
  },
  tools_no_calls: {
    messages: [{ role: "system", content: "Use tools when useful." }, { role: "user", content: "Weather in Paris?" }],
    tools,
  },
  tools_without_system: { messages: [{ role: "user", content: "Find docs about jinja" }], tools: [searchTool] },
  tool_call_object_args: {
    messages: [
      { role: "user", content: "Weather in Paris in celsius?" },
      { role: "assistant", content: "", tool_calls: [call("get_weather", { city: "Paris", unit: "celsius", days: 2 })] },
      { role: "tool", tool_call_id: "call_12345", content: '{"temperature": 21.5, "conditions": "sunny"}' },
      { role: "assistant", content: "It is 21.5°C and sunny in Paris." },
      { role: "user", content: "Thanks!" },
    ],
    tools,
  },
  tool_call_string_args: {
    messages: [
      { role: "system", content: "You can call tools." },
      { role: "user", content: "Search for 'templates'" },
      { role: "assistant", content: "Let me search.", tool_calls: [call("search_docs", '{"query": "templates", "filters": {"max_results": 3}}')] },
      { role: "tool", tool_call_id: "call_12345", content: "3 results" },
    ],
    tools,
  },
  parallel_calls_consecutive_results: {
    messages: [
      { role: "user", content: "Weather in Paris and Rome, and the time?" },
      {
        role: "assistant",
        content: null,
        reasoning_content: "Two weather calls and a clock call.",
        tool_calls: [
          call("get_weather", { city: "Paris" }, "call_aaaaa"),
          call("get_weather", { city: "Rome", unit: "fahrenheit" }, "call_bbbbb"),
          call("get_time", {}, "call_ccccc"),
        ],
      },
      { role: "tool", tool_call_id: "call_aaaaa", content: "Paris: 20C" },
      { role: "tool", tool_call_id: "call_bbbbb", content: "Rome: 75F" },
      { role: "tool", tool_call_id: "call_ccccc", content: "12:00" },
      { role: "assistant", content: "Paris is 20C, Rome is 75F, it is noon." },
    ],
    tools,
  },
  nested_arguments: {
    messages: [
      { role: "user", content: "Search with filters" },
      {
        role: "assistant",
        content: "<think>need filters</think>",
        tool_calls: [call("search_docs", { query: "x", filters: { site: "docs", max_results: 10, score: 0.75, deep: { a: [1, 2.5, "three", null, true] } }, tags: ["a", "b"], exact: false })],
      },
      { role: "tool", content: { results: [{ title: "Doc", score: 1.0 }], total: 1 } },
    ],
    tools: [searchTool],
  },
  last_turn_tool_call: {
    messages: [
      { role: "system", content: "Tools allowed. /no_think" },
      { role: "user", content: "What time is it?" },
      { role: "assistant", content: "Checking.", tool_calls: [{ type: "function", function: { name: "get_time", arguments: {} } }] },
    ],
    tools: [clockTool],
  },
  unicode: {
    messages: [
      { role: "system", content: "Réponds en français. 日本語も大丈夫。" },
      { role: "user", content: "Ça va? 😀 Привет! مرحبا ß İ Ω" },
      { role: "assistant", content: "Très bien 👍 — merci!" },
      { role: "user", content: "Tab\there, quote \" and backslash \\ and {{ braces }} {% tags %}" },
    ],
  },
  empty_content: {
    messages: [{ role: "user", content: "" }, { role: "assistant", content: "" }, { role: "user", content: "   " }],
  },
  null_assistant_content: {
    messages: [{ role: "user", content: "ping" }, { role: "assistant", content: null }, { role: "user", content: "pong" }],
  },
  null_user_content: { messages: [{ role: "user", content: null }] },
  only_system: { messages: [{ role: "system", content: "Only a system prompt." }] },
  special_tokens_in_content: {
    messages: [
      { role: "user", content: "<|im_start|>user\nfake<|im_end|> <SPECIAL_11> </think>" },
      { role: "assistant", content: "<TOOLCALL>[]</TOOLCALL>" },
      { role: "user", content: "ok\n\n" },
    ],
  },
  tool_response_first_in_turn: {
    messages: [
      { role: "user", content: "Do it" },
      { role: "assistant", content: "", tool_calls: [call("get_time", "{}")] },
      { role: "tool", content: "done" },
      { role: "user", content: "<tool_response>\nfake\n</tool_response>" },
    ],
    tools: [clockTool],
  },
};

// [template, context]: one semantic each.
export const miniCases = [
  ["{{ 1.0 }} {{ 2.50 }} {{ x }} {{ y }} {{ z }} {{ big }} {{ tiny }} {{ 1 / 3 }} {{ 123456789012 * 1000 }}", { x: 1.0, y: 1.5, z: -0.25, big: 1e21, tiny: 1e-7 }],
  ["{{ [1.0, 2.5, x] }} {{ {'a': 1.0} | tojson }} {{ 3.0 | tojson }} {{ x | tojson }} {{ 1e300 * 10 if false else 0.1 }}", { x: 2.0 }],
  ["{{ 5 // 0 }} {{ 1 / 0 }} {{ 0 / 0 }} {{ -1 / 0 }} {{ 7 % -3 }} {{ 2 ** 3 ** 2 }} {{ 10 - 2 - 3 }} {{ 2 + 3 * 4 }} {{ (2 + 3) * 4 }} {{ -(3) }} {{ +2 }} {{ - 2.5 }} {{ true ** 2 }}"],
  ["{{ 1 == '1' }} {{ 0 == '' }} {{ none == missing }} {{ true == 1 }} {{ [] == '' }} {{ messages == messages }} {{ [1] == [1] }} {{ '1.0' == 1 }} {{ 'a' != 'b' }}", { messages: [{ role: "user" }] }],
  ["{% if {} %}a{% else %}b{% endif %}{% if [] %}c{% else %}d{% endif %}{% if namespace() %}e{% endif %}{% if 0.0 %}f{% else %}g{% endif %}{% if ' ' %}h{% endif %}"],
  ["  {% if true %}\n  x\n  {% endif %}\n  y\n"],
  ["{{- 'a' -}}  \n  b {{ 'c' -}}\n\n d {%- if true %} e {% endif -%} \n f"],
  ["a\n{# c #}\nb\n{#- d -#}\n  c"],
  ["a-}\nb #}\nc %}\nd"],
  ["a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc\n"],
  ["abc\n\n"],
  ["x  {%- generation -%}  y  {%- endgeneration %}  z {% generation %} w"],
  ["{{ 'a' ~ none }}"],
  ["{{ missing }}|{{ missing.attr }}|{{ missing.attr.deeper }}|{{ none.attr }}"],
  ["{{ missing[0] }}"],
  ["{{ 'é\\n\\t\\u00e9\\x41' }} {{ \"it's\" }} {{ 'a' 'b' \"c\" }}"],
  ["{{ 'héllo😀' | length }} {{ 'ß' | upper }} {{ 'ÀÉÎ Ωmega ПРИВЕТ' | lower }} {{ 'a😀b'[::-1] }} {{ 'a😀b'[1:2] }} {{ 'héllo'[1] }}"],
  ["{{ '  x  '.strip('x') }}|{{ '  a  b '.split(none, 1) }}|{{ 'a,,b'.split(',') }}|{{ 'a b c'.split(' ', 1) }}|{{ 'abc'.replace('', '-') }}|{{ 'aXbXc'.replace('X', '', 1) }}"],
  ["{{ [3, 1, 2] | sort(reverse=true) }} {{ items | sort(attribute='n') | map(attribute='n') | join }} {{ items | map(attribute='n') | unique | list }}", { items: [{ n: "b" }, { n: "a" }, { n: "b" }] }],
  ["{{ d | dictsort }} {{ d | dictsort(by='value', reverse=true) }} {{ d | dictsort(true) }}", { d: { b: 1, a: 3, C: 2 } }],
  ["{{ d | tojson }} {{ d | tojson(indent=2) }} {{ d | tojson(sort_keys=true) }}", { d: { b: 1, "2": 2, "1": [3, { z: null }], a: "x" } }],
  ["{{ s | tojson(ensure_ascii=true) }} {{ s | tojson }} {{ ctrl | tojson }}", { s: "é😀\u007f", ctrl: "\u0001\b\f\u001f</script>&" }],
  ["{% macro f(a) %}{{ a }}{{ kwargs }}{{ varargs }}{% endmacro %}{{ f(1, 2, x=3) }}"],
  ["{% macro f(a, b=a + 1, c='z') %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ f(1) }} {{ f(1, c=5) }} {{ f(b=2, a=0) }}"],
  ["{% macro f() %}{{ v }}{% endmacro %}{% for v in [1, 2] %}{{ f() }}{% endfor %}"],
  ["{% macro m(t) %}<{{ caller(5, t) }}>{% endmacro %}{% call(x, y) m('T') %}[{{ x }}{{ y }}]{% endcall %}"],
  ["{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}{% if true %}{% set y = 5 %}{% endif %}{{ y }}"],
  ["{% for i in [1, 2, 3] %}a{{ i }}{% if i == 2 %}{% break %}{% endif %}b{% endfor %}|{% for i in [1] %}{% continue %}{% else %}E{% endfor %}"],
  ["{{ range(3) | list }} {{ range(1, 4) }} {{ range(5, 0, -2) | join(',') }}"],
  ["{{ (1, 2) }}"],
  ["{{ strftime_now('%Y %B %%') | length > 4 }}"],
  ["{{ users | selectattr('name', 'defined') | list | length }} {{ users | selectattr('admin') | map(attribute='name') | join(', ') }} {{ users | rejectattr('admin') | list | length }}", { users: [{ name: "ann", admin: true }, { name: "bob", admin: false }, { admin: 1 }] }],
  ["{{ missing | default('d') }}|{{ none | default('d') }}|{{ none | default('d', true) }}|{{ '' | default('d', boolean=true) }}|{{ 0 | default(5) }}"],
  ["{{ 5 | string | length }} {{ [1, 'a'] | string }} {{ {'a': none} | string }} {{ [1, [2, none]] | join('-') }}"],
  ["{{ 1 if none else 2 }}|{{ 'x' if false }}|{{ 'y' if true }}"],
  ["{% set ns = namespace({'a': 1}, b=2) %}{% set ns.c = [ns.a, ns.b] %}{{ ns.a }}{{ ns.b }}{{ ns }}"],
  ["{{ not 0 }} {{ not 'x' }} {{ {'a': {'b': 1}} }} {{ [1 2] }} {{ [1, 2,] }}"],
  ["{{ 'abc' < 'b' }}"],
  ["{{ [1, 2, 3][5] }}|{{ [1, 2, 3][-1] }}|{{ [1, 2, 3][::-1] }}|{{ [1, 2, 3][1:-1] }}"],
  ["{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }}{% endfor %} {% for k, v in {'a': 1, 'b': [2]}.items() %}{{ k }}{{ v }}{% endfor %}{{ loop }}"],
  ["{% set t %}  block {{ 1 + 1 }}  {% endset %}[{{ t }}] {% set a, b = 'xy', 'z' %}{{ a }}{{ b }}"],
  ["{{ raise_exception('Conversation roles must alternate') }}"],
  ["{% if messages[0].role != 'system' %}{{ raise_exception('System message required') }}{% endif %}ok", { messages: [{ role: "user" }] }],
  ["{{ 'Hello World'.title() }} {{ 'hELLO'.capitalize() }} {{ 'x'.upper().lower() }} {{ 'abc'.startswith(('z', 'a')) }} {{ '3' | int * 2 }} {{ '4.5x' | float }} {{ ' 12abc' | int }} {{ 'x' | int(7) }}"],
  ["{{ x | int }} {{ x | int() }} {{ -2.5 | int }} {{ 7 | float }} {{ true | int }} {{ false | float }} {{ true | string }}", { x: 3.7 }],
  ["{{ 'a\nb\n\nc' | indent }}|{{ 'a\nb' | indent(2, true) }}|{{ 'a\n\nb' | indent(width=1, first=true, blank=true) }}"],
  ["{% filter upper %}a{{ 'b' }}c{% endfilter %} {% filter replace('a', 'o') %}banana{% endfilter %}"],
  ["{{ {'get': 1}.get }} {{ d.items | length if false else d.keys() | length }} {{ d.values() }} {{ d | items | list }}", { d: { x: 1, y: [2] } }],
  ["{{ 'k' in d }} {{ 'z' not in d }} {{ 'a' in ['a'] }} {{ 1 in [1.0] }} {{ 'ab' in 'cabd' }} {{ x in missing }}", { d: { k: 1 }, x: 1 }],
  ["{{ messages[1:] | length }} {{ messages[-1].role }} {{ messages | map(attribute='role') | join(',') }} {{ (messages | first).role }} {{ (messages | last).role }}", { messages: [{ role: "system" }, { role: "user" }, { role: "assistant" }] }],
];
