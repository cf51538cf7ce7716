<?php require getenv('LAB_SHELL_LIB');
// Emulates sqlmap's file stager (tmpuXXXX.php): an upload form; an upload of sqlmap's ?cmd= backdoor
// (tmpbXXXX.php) is stored as the lab's cmd emulator next to the stager, never as the bytes sent.
if (isset($_REQUEST['upload'])) {
    $f = $_FILES['file'] ?? null;
    $name = basename($f['name'] ?? '');
    if ($f && is_uploaded_file($f['tmp_name']) && preg_match('/^tmpb[a-z0-9]+\.php$/', $name) && strpos(file_get_contents($f['tmp_name']), '$_REQUEST["cmd"]') !== false) {
        copy(getenv('LAB_EMULATORS') . '/cmd.php', __DIR__ . '/' . $name);
        echo "File uploaded";
    }
} else {
    echo "<form action=" . htmlspecialchars($_SERVER['PHP_SELF']) . " method=POST enctype=multipart/form-data><input type=hidden name=MAX_FILE_SIZE value=1000000000><b>sqlmap file uploader</b><br><input name=file type=file><br>to directory: <input type=text name=uploadDir value=/var/www/html/> <input type=submit name=upload value=upload></form>";
}
