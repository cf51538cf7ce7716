<?php
// TrafficSensor lab: shared code of the web-shell EMULATORS. Each emulator answers its family's
// real request format with the family's real response framing, but never evaluates what it is
// sent: it recognises the requested action and runs only the allow-listed harmless commands below,
// inside the lab's sandbox directory. The lab removes every emulator when it stops.
function lab_sandbox() { return getenv('LAB_SANDBOX') ?: sys_get_temp_dir(); }

function lab_run($cmd) {
    static $allowed = ['id', 'whoami', 'pwd', 'hostname', 'uname -a', 'ls', 'ls -la', 'cat lab-notes.txt', 'ps aux', 'ip addr', 'netstat -an', 'env'];
    $cmd = trim($cmd);
    if (!in_array($cmd, $allowed, true)) return "sh: 1: $cmd: not permitted in the lab\n";
    return (string)shell_exec('cd ' . escapeshellarg(lab_sandbox()) . ' && ' . $cmd . ' 2>&1');
}

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
