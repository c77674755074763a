# hypnic add-on: turns Home Assistant's /data/options.json (plus the MQTT service, passed as
# $host, $port, $username, $ssl, $haspassword, $tz) into hypnic.yaml. Every string is written as a
# JSON string, which YAML reads as a double-quoted scalar, so no option value can break the YAML.

def q: tojson;
def fail(msg): error("hypnic add-on options: " + msg);
def opt(k): if has(k) and .[k] != null and .[k] != "" then .[k] else null end;

def check_inputs:
  if type != "object" then fail("the options are not a JSON object") else . end
  | if ($host | length) == 0 then fail("no MQTT broker: the Mosquitto broker add-on provides one (services: mqtt)") else . end
  | if ($port | test("^[0-9]{1,5}$") | not) then fail("MQTT service port '\($port)' is not a number") else . end
  | if (.sleepers | type) != "array" or (.sleepers | length) == 0 then fail("sleepers: add at least one sleeper") else . end
  | if (.sensors // [] | type) != "array" then fail("sensors must be a list") else . end
  | (.sleepers | map(.id)) as $ids
  | if ($ids | length) != ($ids | unique | length) then fail("sleepers: an id is used twice") else . end
  | reduce (.sensors // [])[] as $s (.;
      if ($s.sleeper | IN($ids[])) then . else
        fail("sensors: '\($s.topic // "?")' belongs to sleeper '\($s.sleeper // "")', which is not in sleepers") end)
  | reduce (.lights // [])[] as $l (.;
      if ($l.sleeper | IN($ids[])) then . else
        fail("lights: '\($l.topic // "?")' belongs to sleeper '\($l.sleeper // "")', which is not in sleepers") end)
  | reduce .sleepers[] as $p (.;
      if any((.sensors // [])[]; .sleeper == $p.id) then . else
        fail("sleeper '\($p.id)' has no sensors: add entries with sleeper: \($p.id) to sensors") end);

def url:
  (if $ssl == "true" then "ssl" else "tcp" end) + "://"
  + (if ($host | contains(":")) then "[" + $host + "]" else $host end) + ":" + $port;

def sensor_lines:
  "      - kind: \(.kind | q)",
  "        topic: \(.topic | q)",
  (opt("format") | select(. != null) | "        format: \(q)"),
  (opt("value") | select(. != null) | "        value: \(q)"),
  (opt("unit") | select(. != null) | "        unit: \(q)"),
  (opt("partner") | select(. != null) | "        partner: \(q)"),
  (opt("factor") | select(. != null) | "        factor: \(q)"),
  (opt("above") | select(. != null) | "        above: \(q)"),
  (opt("for_s") | select(. != null) | "        for_s: \(q)"),
  (opt("amount") | select(. != null) | "        amount: \(q)");

def light_lines:
  "        - type: \(.type | q)",
  "          topic: \(.topic | q)",
  (opt("channel") | select(. != null) | "          channel: \(q)");

check_inputs
| . as $o
| "# Written by the hypnic add-on from its options at every start: edit the options, not this file.",
  "version: 1",
  "mqtt:",
  "  url: \(url | q)",
  "  base_topic: \(($o | opt("base_topic")) // "hypnic" | q)",
  "  client_id: \("hypnic-addon" | q)",
  (if ($username | length) > 0 then "  username: \($username | q)" else empty end),
  # The password stays in the environment; it is never written to /data.
  (if $haspassword == "true" then "  password_env: \("HYPNIC_MQTT_PASSWORD" | q)" else empty end),
  "homeassistant:",
  "  enabled: true",
  # The web view for the ingress panel: the Supervisor's proxy reaches the add-on over its internal
  # network, so it listens on every address of the container, on config.yaml's ingress_port. Only
  # the Supervisor (172.30.32.2, the one ingress peer) and the container itself may read it.
  "web:",
  "  enabled: true",
  "  listen: \("0.0.0.0" | q)",
  "  port: 8099",
  "  allow_from: [\("172.30.32.2" | q), \("127.0.0.1" | q)]",
  "timezone: \((($o | opt("timezone")) // $tz) | q)",
  "state_dir: \("/data" | q)",
  "log:",
  "  level: \(($o | opt("log_level")) // "info" | q)",
  "language: \(($o | opt("language")) // "en" | q)",
  "sleepers:",
  ($o.sleepers[] as $p
   | "  - id: \($p.id | q)",
     ($p | opt("name") | select(. != null) | "    name: \(q)"),
     "    sensors:",
     (($o.sensors // [])[] | select(.sleeper == $p.id) | sensor_lines),
     "    winddown:",
     "      bedtime: \(($p | opt("bedtime")) // "22:30" | q)",
     ([($o.lights // [])[] | select(.sleeper == $p.id)] as $ls
      | if ($ls | length) > 0 then "      lights:", ($ls[] | light_lines) else empty end))
