<%@ page contentType="text/html; charset=UTF-8" %><!doctype html>
<html><head><title>ERP - Orders</title></head><body><h1>Lab ERP</h1>
<ul><% for (int i = 1000; i < 1030; i++) { %><li><a href="orders.jsp?id=<%= i %>">Order <%= i %></a></li><% } %></ul>
<form method="post" action="orders.jsp"><input name="q"><select name="status"><option>open</option></select></form></body></html>
