<?php
// TrafficSensor lab: shared code of the web-shell EMULATORS. Each emulator answers its family's
// real request format with the family's real response framing, but never evaluates what it is
// sent: it recognises the requested action and runs only the allow-listed harmless commands below,
// inside the lab's sandbox directory. The lab removes every emulator when it stops.
function lab_sandbox() { return getenv('LAB_SANDBOX') ?: sys_get_temp_dir(); }

function lab_run($cmd) {
    $cmd = trim($cmd);
    // sqlmap's backdoor checks and cleanup: echo answers without a shell, chmod is a no-op and rm
    // removes only the lab's own stager files next to the script.
    if (preg_match('/^echo ([A-Za-z0-9 _.-]*)$/', $cmd, $m)) return $m[1] . "\n";
    if (preg_match('/^chmod [0-7]{3,4} [A-Za-z0-9_.-]+$/', $cmd)) return '';
    if (preg_match('/^rm -f (tmp[ub][a-z0-9]+\.php)$/', $cmd, $m)) { @unlink(dirname($_SERVER['SCRIPT_FILENAME']) . '/' . $m[1]); return ''; }
    static $allowed = ['id', 'whoami', 'pwd', 'hostname', 'uname -a', 'ls', 'ls -la', 'cat lab-notes.txt', 'ps aux', 'ip addr', 'netstat -an'];
    if (!in_array($cmd, $allowed, true)) return "sh: 1: $cmd: not permitted in the lab\n";
    return (string)shell_exec('cd ' . escapeshellarg(lab_sandbox()) . ' && ' . lab_safe($cmd) . ' 2>&1');
}

// The machine's process list without arguments: the lab shares the host's PID namespace, and other
// processes' command lines must not end up in captures.
function lab_safe($cmd) { return $cmd === 'ps aux' ? 'ps axo user,pid,%cpu,%mem,vsz,rss,tty,stat,start,time,comm' : $cmd; }

// "cd /x;whoami;echo [S];pwd;echo [E]" as the tools send it: run each allow-listed piece.
function lab_run_script($script) {
    $out = '';
    foreach (explode(';', $script) as $piece) {
        $piece = trim($piece, " \t\n\"");
        if ($piece === '' || strncmp($piece, 'cd ', 3) === 0) continue;
        if (preg_match('/^echo (.*)$/', $piece, $m)) { $out .= trim($m[1], '"') . "\n"; continue; }
        $out .= lab_run(preg_replace('/ 2>&1$/', '', $piece));
    }
    return $out;
}

function lab_listing($separator = "\t") {
    $out = '';
    foreach (scandir(lab_sandbox()) as $name) {
        $path = lab_sandbox() . '/' . $name;
        $out .= $name . (is_dir($path) ? '/' : '') . $separator . date('Y-m-d H:i:s', filemtime($path)) . $separator . filesize($path) . $separator . substr(sprintf('%o', fileperms($path)), -4) . "\n";
    }
    return $out;
}

function lab_info() { return lab_sandbox() . "\t/\t" . php_uname() . "\t" . get_current_user(); }

function lab_xor($data, $key, $offset) {
    $out = '';
    for ($i = 0; $i < strlen($data); $i++) $out .= $data[$i] ^ $key[($i + $offset) % strlen($key)];
    return $out;
}

// Godzilla's parameters: name \x02 length (4 bytes, little-endian) value, repeated.
function lab_godzilla_params($plain) {
    $params = [];
    for ($i = 0; $plain !== false && $i < strlen($plain);) {
        $sep = strpos($plain, "\x02", $i);
        if ($sep === false || $sep + 5 > strlen($plain)) break;
        $len = unpack('V', substr($plain, $sep + 1, 4))[1];
        $params[substr($plain, $i, $sep - $i)] = substr($plain, $sep + 5, $len);
        $i = $sep + 5 + $len;
    }
    return $params;
}

// What the lab answers to Godzilla's methods (the real payload is never loaded).
function lab_godzilla_call($params) {
    switch ($params['methodName'] ?? '') {
        case 'test': return 'ok';
        case 'getBasicsInfo': return "FileRoot : /\nCurrentDir : " . lab_sandbox() . "\nCurrentUser : " . get_current_user() . "\nOsInfo : " . php_uname() . "\n";
        case 'getFile': return "ok\n" . lab_listing("\t");
        case 'execCommand': return preg_match('/;([^;"]+)"/', $params['cmdLine'] ?? '', $c) ? lab_run($c[1]) : '';
        default: return 'method is not exist';
    }
}
