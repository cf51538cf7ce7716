<%@ page contentType="text/html; charset=UTF-8" %><%
String id = request.getParameter("id"), q = request.getParameter("q");
String title = id != null && id.matches("[0-9]{1,6}") ? "Order " + id : q != null ? "Search: " + q.replaceAll("[^A-Za-z0-9 ]", "") : "Orders";
%><!doctype html><html><head><title>ERP - <%= title %></title></head><body><h1><%= title %></h1>
<table><% for (int i = 0; i < 15; i++) { %><tr><td>Line <%= i %></td><td><%= 3 + i * 7 %>.00 EUR</td></tr><% } %></table></body></html>
