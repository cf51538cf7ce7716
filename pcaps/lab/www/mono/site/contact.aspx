<%@ Page Language="C#" MasterPageFile="~/Site.master" Title="Contact" %>
<script runat="server">
    protected void Submit_Click(object sender, EventArgs e)
    {
        Result.Text = "Thank you, " + Server.HtmlEncode(txtName.Text) + ". We will answer within " + (txtMessage.Text.Length % 5 + 1) + " days.";
        txtMessage.Text = "";
    }
</script>
<asp:Content ContentPlaceHolderID="MainContent" runat="server">
    <p>Name: <asp:TextBox ID="txtName" runat="server" /></p>
    <p>Message: <asp:TextBox ID="txtMessage" runat="server" TextMode="MultiLine" Rows="4" /></p>
    <asp:Button ID="Submit" runat="server" Text="Send" OnClick="Submit_Click" />
    <p><asp:Label ID="Result" runat="server" /></p>
</asp:Content>
